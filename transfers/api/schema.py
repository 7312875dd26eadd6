"""The request body of ``POST /api/v1/jobs/export/`` in the OpenAPI schema: one branch per dataset.

An export's ``filters`` are the query parameters of the API list of the same records (the
dataset's FilterSet), as one JSON object: the schema states them per dataset, each as the list
documents it (a parameter that takes several values takes one here; true/false as text), so that
a client, and schemathesis, can write valid ones.
"""

from copy import deepcopy

from ..datasets import DATASETS

EXPORT_PATH = "/api/v1/jobs/export/"
REQUEST = "ExportRequestRequest"


def document_export_filters(result, generator, request, public):
    """A postprocessing hook (drf-spectacular): ``ExportRequestRequest`` becomes a oneOf of per-dataset bodies."""
    components = result.get("components", {}).get("schemas", {})
    operation = result.get("paths", {}).get(EXPORT_PATH, {}).get("post")
    if operation is None or REQUEST not in components:
        return result
    lists = _list_paths(generator)
    base = components[REQUEST]
    branches, mapping = [], {}
    for dataset in DATASETS.values():
        path = lists.get(dataset.filterset)
        parameters = result["paths"].get(path, {}).get("get", {}).get("parameters", []) if path else []
        filters = {
            parameter["name"]: _value_schema(parameter["schema"])
            for parameter in parameters
            if parameter["in"] == "query" and parameter["name"] in dataset.filterset.base_filters
        }
        key = str(dataset.name)
        name = f"ExportRequest{key.capitalize()}Request"
        branch = deepcopy(base)
        branch["properties"]["dataset"] = {
            "type": "string",
            "enum": [key],
            "description": dataset.model._meta.verbose_name,
        }
        branch["properties"]["filters"] = {
            "type": "object",
            "properties": filters,
            "additionalProperties": False,
            "description": f"与 {path} 相同的筛选参数（每个参数一个值）" if path else "筛选参数",
        }
        components[name] = branch
        branches.append({"$ref": f"#/components/schemas/{name}"})
        mapping[key] = f"#/components/schemas/{name}"
    components[REQUEST] = {"oneOf": branches, "discriminator": {"propertyName": "dataset", "mapping": mapping}}
    return result


def _list_paths(generator) -> dict:
    """The API list path of each FilterSet (the list of the records a dataset exports)."""
    paths = {}
    for path, _, method, callback in generator.endpoints or []:
        view = getattr(callback, "cls", None)
        filterset = getattr(view, "filterset_class", None)
        if (
            method == "GET"
            and filterset is not None
            and "{" not in path
            and getattr(callback, "actions", {}).get("get") == "list"
        ):
            paths.setdefault(filterset, path)
    return paths


def _value_schema(schema: dict) -> dict:
    """One filter value in a JSON object: a list parameter's item; a boolean as the text the filter reads."""
    schema = deepcopy(schema)
    if schema.get("type") == "array":
        schema = schema.get("items", {"type": "string"})
    if schema.get("type") == "boolean":
        return {"type": "string", "enum": ["true", "false"]}
    return schema
