"""Reading the YAML files people write (stack files, scenarios): never a traceback, every problem with its line.

What a file may be: at most `MAX_BYTES` of UTF-8 (a BOM is dropped; any other encoding is an error naming the
line of the first bad byte), one YAML document nested at most `MAX_DEPTH` levels (PyYAML's composer recurses, so
10,000 levels would be a RecursionError: the depth is measured on the parser's event stream first), whose aliases
expand to at most `MAX_VALUES` values (the "billion laughs"), with string keys and no key twice in one mapping
(PyYAML keeps the last silently). `read_yaml` returns the document and the line of every key and value
(`YamlFile.line_of`), or raises the caller's error type listing every problem it found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness._exceptions import ConfigError, Problems

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "Lines", "YamlFile", "line_of", "read_yaml"]

MAX_BYTES = 4 * 2**20
MAX_DEPTH = 64
MAX_VALUES = 200_000

Lines = dict[tuple[Any, ...], int]  # JSON path -> 1-based line


def line_of(lines: Lines, path: tuple[Any, ...]) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


@dataclass
class YamlFile:
    path: str
    document: Any
    lines: Lines

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        return line_of(self.lines, path)


def _mark_line(exc: BaseException) -> int | None:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _text(path: str, problems: Problems) -> str | None:
    """The file as text, or None with the problem recorded (OSError propagates)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        problems.append((None, f"larger than {MAX_BYTES // 2**20} MiB: not a stack file or scenario", None))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append((line, f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}", None))
        return None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, str, None]:
    """A PyYAML error as (line, message): its problem and mark, never `in "<unicode string>"`."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1
        return line, f"not valid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})", None
    return _mark_line(exc), f"not valid YAML: {getattr(exc, 'problem', None) or exc}", None


# libyaml's parser (PyYAML's C binding) where the wheel has it: the same events and nodes as PyYAML's pure-Python
# parser at a tenth of the time. A file it refuses is read again by the pure-Python parser, whose messages the
# problems quote; PyYAML's check of the characters runs first, as libyaml's differs.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None


def _depth_problem(text: str, loader: Any = yaml.SafeLoader) -> tuple[int | None, str] | None:
    """The first place the document nests deeper than MAX_DEPTH, read from the event stream (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else None
                return line, f"nested more than {MAX_DEPTH} levels deep"
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _values(node: yaml.Node) -> int:
    """How many values the document has once every alias is expanded (an alias reuses its anchor's node; a
    recursive alias expands forever), capped at MAX_VALUES + 1; iterative post-order."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        item, finished = stack.pop()
        if finished:
            total = 1 + sum(sizes.get(id(child), MAX_VALUES + 1) for child in _children(item))
            sizes[id(item)] = min(MAX_VALUES + 1, total)
            open_nodes.discard(id(item))
            continue
        if id(item) in sizes:
            continue
        if id(item) in open_nodes:  # reached again below itself: a recursive alias
            return MAX_VALUES + 1
        open_nodes.add(id(item))
        stack.append((item, True))
        stack.extend((child, False) for child in _children(item) if id(child) not in sizes)
    return sizes[id(node)]


def _lines(node: yaml.Node, problems: Problems) -> Lines:
    """JSON path -> line of every key and value; non-string and repeated keys are problems."""
    table: Lines = {}
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(node, ())]
    seen_nodes: set[int] = set()
    while stack:
        item, path = stack.pop()
        table.setdefault(path, item.start_mark.line + 1)
        if id(item) in seen_nodes:  # an alias: its anchor's lines are already recorded
            continue
        seen_nodes.add(id(item))
        if isinstance(item, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, value_node in item.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(a collection)"
                    problems.append((line, f"key {shown!r} is not a string (quote it)", None))
                    continue
                key = key_node.value
                if key in first and key != "<<":
                    problems.append((line, f"key `{key}` appears twice in one mapping (also line {first[key]})", key))
                first.setdefault(key, line)
                table[(*path, key)] = line
                stack.append((value_node, (*path, key)))
        elif isinstance(item, yaml.SequenceNode):
            stack.extend((child, (*path, index)) for index, child in enumerate(item.value))
    return table


def _compose(text: str, problems: Problems) -> yaml.Node | None:
    """The composed document, or None with the problem recorded."""
    try:
        read, node = _compose_fast(text)
        if not read:
            depth = _depth_problem(text)
            if depth is not None:
                problems.append((*depth, None))
                return None
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(exc, text))
        return None
    if node is not None and _values(node) > MAX_VALUES:
        problems.append((1, f"expands to more than {MAX_VALUES} values (YAML aliases)", None))
        return None
    return node


def _compose_fast(text: str) -> tuple[bool, yaml.Node | None]:
    """(True, the document composed by libyaml), or (False, None) when the pure-Python parser must read it (no
    libyaml, or a text libyaml or PyYAML's character check refuses, or one nested too deep: its problem is
    worded there)."""
    if _FAST_LOADER is None:
        return False, None
    try:
        yaml.reader.Reader(text)  # PyYAML's check of the characters (raises ReaderError)
        if _depth_problem(text, _FAST_LOADER) is not None:
            return False, None
        node: yaml.Node | None = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return False, None
    return True, node


def _construct(node: yaml.Node, problems: Problems) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        problems.append((_mark_line(exc), f"not valid YAML: {getattr(exc, 'problem', None) or exc}", None))
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. a date that does not exist: 2024-02-30
        problems.append((_unreadable_line(node), f"a value YAML cannot read: {exc}", None))
    finally:
        loader.dispose()
    return None


def _unreadable_line(node: yaml.Node) -> int | None:
    """The line of the first scalar the safe constructor cannot build (an impossible date)."""
    loader = yaml.SafeLoader("")
    stack, seen = [node], set()
    try:
        while stack:
            item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, yaml.ScalarNode):
                try:
                    loader.construct_object(item)
                except (ValueError, OverflowError, TypeError, yaml.YAMLError):
                    return item.start_mark.line + 1
            stack.extend(reversed(_children(item)))
        return None
    finally:
        loader.dispose()


def read_yaml(path: str | Path, error: type[ConfigError] = ConfigError) -> YamlFile:
    """The one YAML document of the file at `path`; `error.of(path, problems)` listing every problem otherwise."""
    source = str(path)
    problems: Problems = []
    try:
        text = _text(source, problems)
    except OSError as exc:
        raise error.of(source, [(None, f"cannot read: {exc.strerror or exc}", None)]) from exc
    if text is None:
        raise error.of(source, problems)
    node = _compose(text, problems)
    if node is None:
        if problems:
            raise error.of(source, problems)
        return YamlFile(source, None, {})
    lines = _lines(node, problems)
    document = _construct(node, problems)
    if problems:
        raise error.of(source, problems)
    return YamlFile(source, document, lines)
