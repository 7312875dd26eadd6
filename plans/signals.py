"""Keep the ``TargetProgress`` rollup (plans.progress) in step with every observation and target write.

Bulk writes that bypass signals (``seeds.synthetic``) call ``refresh_progress`` themselves.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Observation, Target, TargetProgress
from .progress import refresh_progress


@receiver(post_save, sender=Observation, dispatch_uid="plans_observation_saved")
def observation_saved(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata: targets may not be there yet
        return
    # The observation may have moved away from the target whose latest it was.
    previous = TargetProgress.objects.filter(observation=instance).values_list("target_id", flat=True)
    refresh_progress([instance.target_id, *previous])


@receiver(post_delete, sender=Observation, dispatch_uid="plans_observation_deleted")
def observation_deleted(sender, instance, origin=None, **kwargs):
    # Observations deleted with their target (or its plan) need nothing: the target's row goes too.
    # Refreshing it once per cascaded observation would only be thrown away.
    if isinstance(origin, Observation) or getattr(origin, "model", None) is Observation:
        refresh_progress([instance.target_id])


@receiver(post_save, sender=Target, dispatch_uid="plans_target_saved")
def target_saved(sender, instance, raw=False, **kwargs):
    if not raw:  # a new target gets its row; a changed one may change its status
        refresh_progress([instance.pk])
