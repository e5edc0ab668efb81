"""Reading stack files and scenarios (harness/_source.py): no input gives a traceback; every problem has its line.

The fuzz feeds the three loaders (`read_yaml`, `StackFile.load`, `load_scenario`) raw bytes, mutated copies of a
real scenario and stack file, random YAML documents and nesting far deeper than PyYAML's composer could take;
anything but a loaded file or the loader's own error (which names the file) is a failure.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import ConfigError, ScenarioLoadError, StackFile
from harness._scenario import load_scenario
from harness._source import MAX_BYTES, MAX_DEPTH, read_yaml
from tests.harness.test_scenario import GOOD

ROOT = Path(__file__).resolve().parents[2]
REAL_SCENARIO = (ROOT / "scenarios" / "allowed-clients-azp.yaml").read_bytes()
STACK = b"""idp:
  faults: {jwks_fault: slow, jwks_slow_ms: 200}
  clients:
    - {name: demo-m2m, grant_types: [client_credentials]}
gateway:
  emulator: {leewaySeconds: 30}
mcp:
  sessions: true
"""


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"name: caf\xe9\n", 1, "not UTF-8: byte 0xe9 at offset 9"),
        (b"a: 1\nb:\n  c: \xff\n", 3, "not UTF-8"),
        (b"a: " + b"[" * 10_000 + b"]" * 10_000, 1, f"nested more than {MAX_DEPTH} levels deep"),
        ("\n".join("  " * i + "k:" for i in range(100)).encode() + b" 1\n", MAX_DEPTH + 1, "nested more than"),
        (b'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + b"".join(
            f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]\n".encode() for p, c in zip("abcdefg", "bcdefgh", strict=True)),
         1, "expands to more than"),
        (b"a: &a [*a]\n", 1, "expands to more than"),
        (b"a: 1\nb: 2\na: 3\n", 3, "key `a` appears twice in one mapping (also line 1)"),
        (b"1: x\n", 1, "key '1' is not a string"),
        (b"a: 2024-02-30\n", 1, "a value YAML cannot read: day is out of range"),
        (b"a: \x00\n", 1, "character #x0000 is not allowed"),
        (b"a: !!python/object:os.system ls\n", 1, "could not determine a constructor"),
        (b"a: 1\n---\nb: 2\n", 2, "but found another document"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, data: bytes, line: int, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        read_yaml(path)
    assert caught.value.problems[0][0] == line
    assert message in str(caught.value) and str(caught.value).startswith(f"{path}:")
    assert "<unicode string>" not in str(caught.value)


def test_huge_and_unreadable_files(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"a: " + b"x" * (MAX_BYTES + 1))
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        StackFile.load(huge)
    with pytest.raises(ScenarioLoadError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="cannot read"):
        StackFile.load(tmp_path)  # a directory


def test_a_stack_file_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(
        "idp:\n"
        "  faults: {jwks_falt: slow}\n"
        "  clients:\n"
        "    - {name: demo-m2m, grant_type: [client_credentials]}\n"
        "    - {name: nobody, $patch: delete}\n"
        "gateway:\n"
        "  emulator: {leeway: 3}\n"
        "mcp:\n"
        "  sesions: true\n"
        "gatway: {}\n"
    )
    with pytest.raises(ConfigError) as caught:
        StackFile.load(path)  # issue 18: an unknown section is listed with the sections' problems, all at once
    problems = [
        f"  {path}:2: idp.faults.jwks_falt: Extra inputs are not permitted (did you mean `jwks_fault`?)",
        f"  {path}:4: idp.clients[0].grant_type: Extra inputs are not permitted (did you mean `grant_types`?)",
        f"  {path}:5: idp.clients[1]: no item of `clients` with name='nobody' to delete",
        f"  {path}:7: gateway.emulator.leeway: Extra inputs are not permitted (did you mean `leewaySeconds`?)",
        f"  {path}:9: mcp.sesions: Extra inputs are not permitted (did you mean `sessions`?)",
    ]
    unknown = f"  {path}:10: unknown section `gatway`; did you mean `gateway`?"
    assert sorted(str(caught.value).splitlines()) == sorted([f"{path}: 6 problems", unknown, *problems])
    path.write_text(path.read_text().replace("gatway: {}\n", ""))
    with pytest.raises(ConfigError) as caught:
        StackFile.load(path)
    assert str(caught.value).splitlines() == [f"{path}: 5 problems", *problems]


# -- the fuzz --------------------------------------------------------------------------------------------------
def _loaders_survive(data: bytes) -> None:
    """Every loader either loads `data` or raises its own error naming the file; nothing else escapes."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        path.write_bytes(data)
        for load, error in ((read_yaml, ConfigError), (StackFile.load, ConfigError), (load_scenario, ScenarioLoadError)):
            try:
                load(path)
            except error as exc:
                assert str(exc).startswith(str(path)), str(exc)[:200]


def _mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    edits = st.lists(st.tuples(st.integers(0, len(seed)), st.integers(0, 8), st.binary(max_size=6)), max_size=6)

    def apply(changes: list[tuple[int, int, bytes]]) -> bytes:
        data = seed
        for at, cut, insert in changes:
            data = data[:at] + insert + data[at + cut:]
        return data

    return edits.map(apply)


YAML_PIECES = st.sampled_from([b"\n", b"  ", b"- ", b": ", b"[", b"]", b"{", b"}", b",", b"&a ", b"*a", b"!!str ",
                               b"'", b'"', b"#", b"|", b">", b"---", b"? ", b"steps", b"idp", b"fix", b"${tok.x}"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=600),
        _mutated(REAL_SCENARIO),
        _mutated(GOOD.encode()),
        _mutated(STACK),
        st.lists(YAML_PIECES, max_size=60).map(b"".join),
        st.integers(MAX_DEPTH - 2, 5000).map(lambda n: b"a: " + b"[" * n + b"]" * n),
        st.integers(10, 300).map(lambda n: "".join(f"{'  ' * i}- k:\n" for i in range(n)).encode()),
        st.dictionaries(st.sampled_from(["name", "title", "symptom", "root_cause", "fix", "sources", "steps", "idp",
                                         "gateway", "mcp", "clock", "tags"]), JSONISH)
        .map(lambda d: yaml.safe_dump(d).encode()),
    )
)
def test_the_loaders_never_raise_anything_but_their_own_error(data: bytes) -> None:
    _loaders_survive(data)
