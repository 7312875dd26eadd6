"""Bulk import and export, and the jobs that run them.

The import engine reads each row through its dataset's columns, finds the record by its natural
key, and writes through the app's own services that the dataset names (scope check,
``full_clean``, history), so an import validates exactly like the admin and the API. New rows of
datasets that allow it are created in batches (the app's ``..._create_many``: the same checks and
history, a few queries per batch instead of several per row). It is atomic (every row or none), a dry run
is the same run rolled back, and it is idempotent: a row that changes nothing is not written at all.
"""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from common.scope import can_change
from common.tables import write_table, write_table_to, xlsx_text
from jobs.choices import DatasetChoices, FileFormatChoices, JobKindChoices, JobStatusChoices
from jobs.models import Job
from jobs.services import (
    INTERRUPTED_MESSAGE,
    JobNotQueued,
    job_fail,
    job_fail_after_database_error,
    job_progress_reporter,
    job_queue,
    job_start,
    job_store_result,
)
from regions.models import Region

from .datasets import AMBIGUOUS, DATASETS, KEEP_LINK, CellError, Column, Dataset, Lookups
from .spreadsheet import FileRefused, Table, read_table
from .tasks import export_job_task, import_job_task

__all__ = ["FileRefused", "JobNotQueued"]

logger = logging.getLogger(__name__)

#: Rows of an import whose outcome is kept for the preview table.
PREVIEW_ROWS = 500
#: New rows created together (a progress report ends a batch early, so that it counts written rows).
BATCH_ROWS = 500
#: Rows between two progress reports of a running job: one report per batch.
PROGRESS_EVERY = BATCH_ROWS


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"第 {self.row} 行" + (f"「{self.column}」" if self.column else "")
        return f"{where}：{self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "text": str(self)}


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def note(self, number: int, action: str, key: str) -> None:
        setattr(self, action, getattr(self, action) + 1)
        if len(self.rows) < PREVIEW_ROWS:
            self.rows.append({"row": number, "action": action, "key": key})


ACTION_LABELS = {"created": "新增", "updated": "修改", "unchanged": "未变化"}


def dataset_get(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValidationError({"dataset": f"不支持的数据类别「{name}」。"}) from None


#: The sheets of an XLSX template after the data sheet (the only one read on import).
EXAMPLE_SHEET, GUIDE_SHEET, OPTIONS_SHEET = "示例", "填写说明", "选项"


def template_file(
    *, dataset: Dataset, file_format: str, rows: list[list] | None = None, options: dict[str, list[str]] | None = None
) -> bytes:
    """A file with the dataset's headers (and ``rows``, for a sheet made to be filled in: a submission's).

    XLSX adds a dropdown (data validation) on every column whose values come from a list (choices,
    plans, indicators, cities …, or ``options`` by header; the lists are on a hidden sheet), a sheet
    with an example row and a sheet explaining each column. Only the first sheet is read on import,
    so the example is never imported by mistake.
    """
    rows = rows or []
    if file_format != FileFormatChoices.XLSX:
        return write_table(dataset.headers, rows, file_format)
    book = Workbook()
    sheet = book.active
    sheet.title = "数据"
    sheet.append(dataset.headers)
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            cell = sheet.cell(row=number, column=index, value=xlsx_text(value))
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    example = book.create_sheet(EXAMPLE_SHEET)
    example.append(dataset.headers)
    example.append([column.example for column in dataset.columns])
    guide = book.create_sheet(GUIDE_SHEET)
    guide.append(["列", "必填", "说明", "示例"])
    for column in dataset.columns:
        guide.append([column.header, "是" if column.required else "否", column.help, column.example])
    guide.append([])
    guide.append(["", "", f"只导入第一个工作表“{sheet.title}”；“{EXAMPLE_SHEET}”工作表中的示例行不会被导入。"])
    _add_dropdowns(book, sheet, dataset, options or {})
    for worksheet in (sheet, example):
        for index, column in enumerate(dataset.columns, start=1):
            worksheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, 2 * len(column.header) + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def submission_sheet(*, submission, user) -> bytes:
    """The XLSX a city fills in offline for one submission: its values as they stand, ready to import back.

    The dropdowns offer the submission's own round, city, indicators and regions (the city and its counties).
    """
    dataset = DATASETS[DatasetChoices.SUBMISSION_VALUES]
    rows = export_rows(dataset=dataset, user=user, filters={"submission": str(submission.pk)})
    regions = [submission.city, *Region.objects.filter(parent=submission.city).order_by("code")]
    options = {
        "填报任务": [submission.round.name],
        "城市": [submission.city.name],
        "指标（名称或编号）": list(submission.round.indicators.order_by("pk").values_list("name", flat=True)),
        "地区（本市或所辖县）": [region.name for region in regions],
    }
    return template_file(dataset=dataset, file_format=FileFormatChoices.XLSX, rows=rows, options=options)


def submission_import(*, user, submission, file_name: str, content: bytes) -> Job:
    """Import a submission's sheet from its data-entry page: every row must be of that submission.

    A row naming another round or city refuses the file (``FileRefused``): the clerk uploaded the wrong
    sheet. Otherwise the import runs as any other (all rows or none; row errors in the job).
    """
    dataset = DATASETS[DatasetChoices.SUBMISSION_VALUES]
    table = read_table(content, file_name)
    columns = match_columns(dataset, table.header)
    lookups = Lookups(user)
    others = []
    for number, cells in table.rows:
        named = {}
        for column, cell in zip(columns, cells, strict=False):
            if column is not None and column.field in ("round", "city"):
                try:
                    named[column.field] = column.read(cell, lookups, named)
                except CellError:
                    continue  # the import reports it, row by row
        round_, city = named.get("round"), named.get("city")
        if (round_ is not None and getattr(round_, "pk", None) != submission.round_id) or (
            city is not None and getattr(city, "pk", None) != submission.city_id
        ):
            others.append(str(number))
    if others:
        raise FileRefused(
            f"第 {'、'.join(others[:10])} 行不属于本报送（{submission.round.name} · {submission.city.name}）。"
            "请上传从本页下载的填报表。"
        )
    return import_job_create(user=user, dataset_name=dataset.name, file_name=file_name, content=content, dry_run=False)


def _add_dropdowns(book, sheet, dataset: Dataset, overrides: dict[str, list[str]]) -> None:
    """A list validation per column with options, its list in a column of the hidden options sheet."""
    options = book.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    last_row = settings.TRANSFER_MAX_ROWS + 1
    lists = 0
    for index, column in enumerate(dataset.columns, start=1):
        if column.header in overrides:
            values = overrides[column.header]
        else:
            values = column.options() if column.options else []
        if not values:
            continue
        lists += 1
        letter = get_column_letter(lists)
        options.cell(row=1, column=lists, value=column.header)
        for row, value in enumerate(values, start=2):
            # Options are names staff typed: never a formula, never a character XLSX cannot hold.
            cell = options.cell(row=row, column=lists, value=xlsx_text(value))
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            # A warning, not a refusal: cells may also hold a code (140100, sx-14th-sei) the list does not show.
            errorStyle="warning",
            errorTitle=column.header,
            error="不在下拉列表中。请从列表中选择，或确认填写的是编号、代码。",
            promptTitle=column.header,
            prompt=column.help[:255] if column.help else "请从下拉列表中选择。",
            showInputMessage=True,
        )
        column_letter = get_column_letter(index)
        validation.add(f"{column_letter}2:{column_letter}{last_row}")
        sheet.add_data_validation(validation)


def match_columns(dataset: Dataset, header: list[str]) -> list[Column | None]:
    """The dataset column under each header cell; unknown, repeated or missing columns refuse the file."""
    by_header = {header: c for c in dataset.columns for header in (c.header, *c.former)}
    unknown = [h for h in header if h and h not in by_header]
    if unknown:
        raise FileRefused(
            f"第 1 行有无法识别的列：{'、'.join(unknown[:5])}。{dataset.label}的列为：{'、'.join(dataset.headers)}。"
            "请使用下载的模板，不要修改表头。"
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise FileRefused(f"第 1 行的列重复：{'、'.join(repeated)}。")
    missing = [c.header for c in dataset.columns if c.required and c.header not in header]
    if missing:
        raise FileRefused(f"缺少必填列：{'、'.join(missing)}。请使用下载的模板。")
    return [by_header.get(h) for h in header]


def import_table(
    *,
    dataset: Dataset,
    table: Table,
    user,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    on_success: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import every row or none; a dry run (or any row error) rolls everything back.

    ``on_success`` runs inside the transaction after the last row, so what it writes (the job's
    final state) commits together with the data or not at all.
    """
    columns = match_columns(dataset, table.header)
    result = ImportResult(total=len(table.rows))
    lookups = Lookups(user)
    parsed = [(number, *_read_row(dataset, columns, number, cells, lookups)) for number, cells in table.rows]
    existing = dataset.existing([values for _, values, errors in parsed if not errors])
    seen: dict[tuple, int] = {}
    with transaction.atomic():
        new_rows = _NewRows(dataset, user, result)
        for index, (number, values, errors) in enumerate(parsed, start=1):
            result.errors.extend(
                errors or _import_row(dataset, number, values, existing, lookups, seen, result, new_rows)
            )
            if progress and index % PROGRESS_EVERY == 0:
                result.errors.extend(new_rows.flush())
                progress(index)
        result.errors.extend(new_rows.flush())
        result.errors.sort(key=lambda error: error.row)
        if dry_run or result.errors:
            transaction.set_rollback(True)
        elif on_success:
            on_success(result)
    return result


def _import_row(dataset, number, values, existing, lookups, seen, result, new_rows) -> list[RowError]:
    """Write one parsed row, or queue it if it is new and its dataset creates new rows in batches."""
    user = lookups.user
    key_column = dataset.column_for(dataset.key[0]).header
    identity = dataset.identity(values)
    if identity in seen:
        return [RowError(number, key_column, f"与第 {seen[identity]} 行重复（{dataset.key_text(values)}）。")]
    seen[identity] = number
    instance = existing.get(identity)
    if instance is AMBIGUOUS:
        message = f"「{dataset.key_text(values)}」对应多条已有记录，无法确定修改哪一条，请在管理后台处理。"
        return [RowError(number, key_column, message)]
    if instance is not None and not can_change(user, instance):
        # The same words whether the record is another city's or a province-wide one: never say whose.
        return [RowError(number, key_column, f"「{dataset.key_text(values)}」已被使用，您无权修改该记录。")]
    if instance is None and dataset.create_many:
        return new_rows.add(number, values)
    # The queued rows are written first, so that rows are written in the file's order.
    errors = new_rows.flush()
    if dataset.resolve:
        # Read when the row is written, so that it may name a record an earlier row of the file creates.
        try:
            values = dataset.resolve(values, lookups)
        except CellError as exc:
            return [*errors, _cell_error(dataset, number, exc)]
    return errors + _write_row(dataset, number, values, instance, user, result)


def _write_row(dataset, number, values, instance, user, result) -> list[RowError]:
    """Write one row through the app's services (each write is atomic, so a failed row leaves the others usable)."""
    values, extras = _split_extras(dataset, values)
    try:
        if instance is None:
            instance = dataset.create(user=user, data=values)
            action = "created"
        else:
            changed = {name: value for name, value in values.items() if _differs(instance, name, value)}
            action = "updated" if changed else "unchanged"
            if changed:
                instance = dataset.update(instance=instance, user=user, data=changed)
        if _set_extras(dataset, instance, user, extras) and action == "unchanged":
            action = "updated"
    except (ValidationError, PermissionDenied, IntegrityError) as exc:
        return _row_errors(dataset, number, exc)
    result.note(number, action, dataset.key_text(values))
    return []


def _split_extras(dataset: Dataset, values: dict) -> tuple[dict, dict]:
    """The row's own fields, and those its dataset sets through a service of their own after the write."""
    extras = {name: values[name] for name in dataset.extras if name in values}
    return {name: value for name, value in values.items() if name not in extras}, extras


def _set_extras(dataset: Dataset, instance, user, extras: dict) -> bool:
    """Set the extra fields (an enterprise's short names, a project's co-builders …); True if any changed."""
    changed = False
    for name, value in extras.items():
        changed = dataset.extras[name](instance=instance, user=user, value=value) or changed
    return changed


class _NewRows:
    """The new rows waiting to be created in one batch, in file order."""

    def __init__(self, dataset: Dataset, user, result: ImportResult):
        self.dataset, self.user, self.result = dataset, user, result
        self.rows: list[tuple[int, dict]] = []

    def add(self, number: int, values: dict) -> list[RowError]:
        self.rows.append((number, values))
        return self.flush() if len(self.rows) >= BATCH_ROWS else []

    def flush(self) -> list[RowError]:
        rows, self.rows = self.rows, []
        if not rows:
            return []
        dataset, user = self.dataset, self.user
        split = [_split_extras(dataset, values) for _, values in rows]
        try:
            outcomes = dataset.create_many(user=user, rows=[values for values, _ in split])
        except IntegrityError:
            # The database refused what the checks passed (a concurrent write, a constraint they cannot
            # read): the batch was rolled back; row by row through the service, each bad row gets its message.
            return [
                error
                for number, values in rows
                for error in _write_row(dataset, number, values, None, user, self.result)
            ]
        errors = []
        for (number, values), (_, extras), outcome in zip(rows, split, outcomes, strict=True):
            if isinstance(outcome, Exception):
                errors.extend(_row_errors(dataset, number, outcome))
                continue
            try:
                # A new record has nothing linked yet: only a filled cell needs its service.
                _set_extras(dataset, outcome, user, {name: value for name, value in extras.items() if value})
            except (ValidationError, PermissionDenied) as exc:
                errors.extend(_row_errors(dataset, number, exc))
                continue
            self.result.note(number, "created", dataset.key_text(values))
        return errors


def _read_row(dataset: Dataset, columns, number: int, cells, lookups) -> tuple[dict, list[RowError]]:
    values, errors = dict(dataset.defaults), []
    cells = list(cells) + [None] * (len(columns) - len(cells))
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        try:
            value = column.read(cell, lookups, values)
        except CellError as exc:
            errors.append(RowError(number, column.header, str(exc)))
            continue
        if value is KEEP_LINK:
            continue
        if value in (None, "") and column.required:
            errors.append(RowError(number, column.header, "不能为空。"))
            continue
        if value is None and not column.virtual:
            value = _empty_value(dataset.model, column.field)
            if value is _KEEP:
                continue
        values[column.field] = value
    if dataset.finish and not errors:
        try:
            values = dataset.finish(values, lookups)
        except CellError as exc:
            errors.append(_cell_error(dataset, number, exc))
    return values, errors


def _cell_error(dataset: Dataset, number: int, exc: CellError) -> RowError:
    column = dataset.column_for(exc.field) if exc.field else None
    return RowError(number, column.header if column else "", str(exc))


_KEEP = object()


def _empty_value(model, name: str):
    """What an empty cell means: blank text, no relation, or (for fields with another default) no change."""
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:
        return []
    if model_field.null:
        return None
    if isinstance(model_field, models.CharField | models.TextField) and model_field.default == "":
        return ""  # text whose default is blank: an emptied cell clears it
    if model_field.has_default():
        return _KEEP
    if isinstance(model_field, models.CharField | models.TextField):
        return ""
    return _KEEP


def _differs(instance, name: str, value) -> bool:
    model_field = instance._meta.get_field(name)
    if model_field.many_to_many:
        return {obj.pk for obj in getattr(instance, name).all()} != {obj.pk for obj in value}
    if model_field.is_relation:
        return getattr(instance, model_field.attname) != (value.pk if value is not None else None)
    return getattr(instance, name) != value


def _row_errors(dataset: Dataset, number: int, exc: Exception) -> list[RowError]:
    if isinstance(exc, ValidationError):
        return _validation_errors(dataset, number, exc)
    if isinstance(exc, PermissionDenied):
        return [RowError(number, dataset.column_for(dataset.scope_field).header, str(exc))]
    # An IntegrityError: only a concurrent write gets past full_clean to the database's constraints.
    return [RowError(number, dataset.column_for(dataset.key[0]).header, "与同时进行的其他修改冲突，请重新导入。")]


def _validation_errors(dataset: Dataset, number: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(number, "", message) for message in exc.messages]
    errors = []
    for name, messages in exc.message_dict.items():
        for message in messages:
            column = dataset.column_for(name) if name != NON_FIELD_ERRORS else _constraint_column(dataset, message)
            errors.append(RowError(number, column.header if column else "", message))
    return errors


def _constraint_column(dataset: Dataset, message: str) -> Column | None:
    """The first column a violated check constraint is about (found by its message)."""
    for constraint in dataset.model._meta.constraints:
        if getattr(constraint, "violation_error_message", None) != message:
            continue
        for name in _condition_fields(getattr(constraint, "condition", None)) or getattr(constraint, "fields", ()):
            column = dataset.column_for(name)
            if column:
                return column
    return None


def _condition_fields(condition) -> list[str]:
    if condition is None:
        return []
    names = []
    for child in condition.children:
        if isinstance(child, tuple):
            names.append(child[0].split("__")[0])
        else:
            names.extend(_condition_fields(child))
    return names


def export_queryset(*, dataset: Dataset, user, filters: dict | None = None):
    """The records a user may see, filtered by the model's FilterSet like the API list (unknown filters are errors)."""
    queryset = dataset.export_queryset(user)
    if not filters:
        return queryset
    filterset_class = dataset.filterset
    unknown = sorted(set(filters) - set(filterset_class.base_filters))
    if unknown:
        raise ValidationError({"filters": [f"未知的筛选参数：{'、'.join(unknown)}。"]})
    data = QueryDict(mutable=True)  # a filter of several values reads a list, as from a query string
    for name, value in filters.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    filterset = filterset_class(data=data, queryset=queryset, request=None, user=user)
    if not filterset.is_valid():
        raise ValidationError({"filters": [f"{k}：{'；'.join(v)}" for k, v in filterset.errors.items()]})
    return filterset.qs


def export_rows(*, dataset: Dataset, user, filters: dict | None = None) -> list[list]:
    return list(export_row_iter(dataset=dataset, user=user, filters=filters))


class Counted:
    """An iterator that counts what it gave."""

    def __init__(self, items: Iterator):
        self.items, self.count = items, 0

    def __iter__(self):
        for item in self.items:
            self.count += 1
            yield item


def export_row_iter(*, dataset: Dataset, user, filters: dict | None = None) -> Iterator[list]:
    """The export's rows one at a time, read through a server-side cursor: a file is written in constant memory."""
    queryset = export_queryset(dataset=dataset, user=user, filters=filters)
    # 500 records (and their prefetched rows) at a time: with 2,000, a 219,870-row export job
    # peaked at 334 MB instead of 274 MB, and was no faster.
    for obj in queryset.iterator(chunk_size=500):
        yield [column.render(obj, user) for column in dataset.columns]


# Jobs


def import_job_create(*, user, dataset_name: str, file_name: str, content: bytes, dry_run: bool) -> Job:
    """Check the file, then run the import now (small files) or on a worker (large ones).

    A refused file raises ``FileRefused`` and creates no job.
    """
    dataset = dataset_get(dataset_name)
    table = read_table(content, file_name)
    match_columns(dataset, table.header)
    if not table.rows:
        raise FileRefused("文件只有表头，没有数据行。")
    job = Job.objects.create(
        kind=JobKindChoices.IMPORT,
        dataset=dataset.name,
        dry_run=dry_run,
        user=user,
        file_name=file_name[:255],
        file_format=table.file_format,
        upload=content,
        total_rows=len(table.rows),
    )
    if len(table.rows) > settings.TRANSFER_ASYNC_ROWS:
        job_queue(job=job, task=import_job_task)
        return job
    try:
        import_job_run(job=job, table=table)
    except DatabaseError:
        # In the request there is no task to retry: the job says what happened, whatever became of the connection.
        logger.exception("import job %s lost its database", job.pk)
        job_fail_after_database_error(job=job, message=INTERRUPTED_MESSAGE)
    return job


def import_job_apply(*, preview: Job, user) -> Job:
    """Apply the file of a successful preview (as a new job, so the preview stays on record)."""
    if preview.kind != JobKindChoices.IMPORT or not preview.dry_run or preview.status != JobStatusChoices.SUCCEEDED:
        raise ValidationError("只能应用校验通过的预览。")
    return import_job_create(
        user=user,
        dataset_name=preview.dataset,
        file_name=preview.file_name,
        content=bytes(preview.upload),
        dry_run=False,
    )


def job_retry(*, job: Job, user) -> Job:
    """Run a failed import or export again, as a new job of ``user`` (the failed one stays on record)."""
    if job.status != JobStatusChoices.FAILED:
        raise ValidationError("只能重试失败的任务。")
    if job.kind == JobKindChoices.IMPORT:
        return import_job_create(
            user=user,
            dataset_name=job.dataset,
            file_name=job.file_name,
            content=bytes(job.upload),
            dry_run=job.dry_run,
        )
    if job.kind == JobKindChoices.EXPORT:
        return export_job_create(
            user=user,
            dataset_name=job.dataset,
            file_format=job.file_format,
            filters=job.params.get("filters"),
        )
    raise ValidationError("只能重试导入或导出任务。")


def import_job_run(*, job: Job, table: Table | None = None) -> Job:
    """Run (or, after a lost worker, re-run) an import job; a finished job is left as it is."""
    job.refresh_from_db()
    if job.is_finished:
        return job
    job_start(job=job)
    try:
        table = table or read_table(bytes(job.upload), job.file_name)
        progress = job_progress_reporter(job=job)
        result = import_table(
            dataset=DATASETS[job.dataset],
            table=table,
            user=job.user,
            dry_run=job.dry_run,
            progress=progress,
            on_success=lambda result: _job_finished(job, result),
        )
    except FileRefused as exc:
        job_fail(job=job, message=str(exc))
        return job
    except DatabaseError:
        raise  # a lost connection or a deadlock: the task retries
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        job_fail(job=job, message=f"导入时发生内部错误，未写入任何数据：{exc.__class__.__name__}")
        return job
    if job.dry_run or result.errors:
        _job_finished(job, result)
    return job


def _job_finished(job: Job, result: ImportResult) -> None:
    job.status = JobStatusChoices.FAILED if result.errors else JobStatusChoices.SUCCEEDED
    job.processed_rows = job.total_rows = result.total
    job.counts = result.counts
    job.errors = [error.as_dict() for error in result.errors]
    job.preview = result.rows
    job.message = _summary(job, result)
    job.finished = timezone.now()
    job.save()


def _summary(job: Job, result: ImportResult) -> str:
    if result.errors:
        return f"发现 {len(result.errors)} 处错误，未导入任何数据。请按错误说明修改文件后重新上传。"
    counts = f"新增 {result.created} 行，修改 {result.updated} 行，未变化 {result.unchanged} 行"
    return f"预览通过：将{counts}。" if job.dry_run else f"导入完成：{counts}。"


def export_job_create(*, user, dataset_name: str, file_format: str, filters: dict | None = None) -> Job:
    dataset = dataset_get(dataset_name)
    if file_format not in FileFormatChoices.values:
        raise ValidationError({"file_format": "文件格式须为 xlsx 或 csv。"})
    job = Job.objects.create(
        kind=JobKindChoices.EXPORT,
        dataset=dataset.name,
        user=user,
        file_format=file_format,
        params={"filters": filters or {}},
        total_rows=export_queryset(dataset=dataset, user=user, filters=filters).count(),
    )
    if job.total_rows > settings.TRANSFER_ASYNC_ROWS:
        job_queue(job=job, task=export_job_task)
        return job
    try:
        export_job_run(job=job)
    except DatabaseError:
        logger.exception("export job %s lost its database", job.pk)
        job_fail_after_database_error(job=job, message=INTERRUPTED_MESSAGE)
    return job


def export_job_run(*, job: Job) -> Job:
    job.refresh_from_db()
    if job.is_finished:
        return job
    job_start(job=job)
    dataset = DATASETS[job.dataset]
    try:
        rows = Counted(export_row_iter(dataset=dataset, user=job.user, filters=job.params.get("filters")))
        with tempfile.TemporaryFile() as out:
            write_table_to(out, dataset.headers, rows, job.file_format)
            out.seek(0)
            job_store_result(job=job, file=out)
    except ValidationError as exc:
        job_fail(job=job, message="；".join(exc.messages))
        return job
    except DatabaseError:
        raise  # the task retries
    except Exception as exc:
        logger.exception("export job %s failed", job.pk)
        job_fail(job=job, message=f"导出时发生内部错误：{exc.__class__.__name__}")
        return job
    job.file_name = f"{dataset.name}-{timezone.localdate():%Y%m%d}.{job.file_format}"
    job.status = JobStatusChoices.SUCCEEDED
    job.total_rows = job.processed_rows = rows.count
    job.counts = {"total": rows.count}
    job.message = f"导出完成：共 {rows.count} 行。"
    job.finished = timezone.now()
    job.save()
    return job
