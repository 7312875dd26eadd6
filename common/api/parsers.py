"""JSON request bodies with a nesting limit.

Python's JSON decoder recurses once per level: a body nested a thousand deep raises
``RecursionError`` (a 500) and anything nested a few hundred deep may do so later in code that
walks it. No sxplan resource is nested more than a few levels, so deeper bodies answer 400.
"""

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
TOO_DEEP = f"JSON 嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）。"


def json_depth_exceeds(value, *, limit: int) -> bool:
    """Whether ``value`` (a parsed JSON document) is nested more than ``limit`` levels; walked without recursion."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def not_json(error: ParseError) -> ParseError:
    """DRF's parse error ("JSON parse error - Expecting value: line 1 column 2 (char 1)") in Chinese."""
    cause = error.__context__
    if isinstance(cause, json.JSONDecodeError):
        return ParseError(f"请求内容不是有效的 JSON：第 {cause.lineno} 行第 {cause.colno} 列有误。")
    return ParseError("请求内容不是有效的 JSON（须为 UTF-8 编码的 JSON 文本）。")


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        except ParseError as exc:
            raise not_json(exc) from exc
        if json_depth_exceeds(data, limit=MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
