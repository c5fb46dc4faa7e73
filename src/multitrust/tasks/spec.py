"""The vocabulary tasks are declared in: records from the data tree, variants, and the task itself.

A task module should read like the spec's table row: where the records come from, the prompt, which
image goes with each prompt, the generation length, the evaluator, the metric and the score formula.
All mechanics (reading files, pairing unrelated images with a seed, ``--limit`` selection, image checks)
live here so that declarations stay declarative.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.core.errors import DataError
from multitrust.core.seeds import derive_seed, rng_for
from multitrust.core.taxonomy import TaskInfo
from multitrust.core.types import ImageRef, Message, Sample, VariantResult
from multitrust.data.images import check_image
from multitrust.data.tree import UNRELATED_KINDS, DataTree
from multitrust.scoring.base import Evaluator
from multitrust.scoring.metrics import PAPER_ROUNDINGS, MetricFn, Rounding

# ---------------------------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Record:
    """One source row: prompt fields, its own image (relative to the data root), target and metadata."""

    key: str
    fields: Mapping[str, Any]
    image: str | None = None
    target: Any = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    #: records that belong together (T.3's three prompts of one question): ``--limit`` and the bootstrap
    #: pick or drop them as a unit. None = the record is its own group.
    group: str | None = None
    #: the annotation field the image path came from (named in the error when that path is refused)
    image_field: str | None = None
    #: the image was rendered by the toolkit itself (P.6's typographic images in the cache), not read from
    #: the data tree, so it is not confined to the data root
    generated_image: bool = False
    #: why this row is unusable (a missing or mistyped field): the row fails alone, the task goes on
    error: str | None = None

    @property
    def unit(self) -> str:
        return self.group if self.group is not None else self.key


RowFn = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """What a record reader may depend on besides the tree: the run seed (e.g. synthetic PII values) and
    the fidelity mode (paper mode reproduces the original's sample selection, e.g. S.6's first 10)."""

    seed: int = 0
    fidelity: str = "fixed"


@dataclass(frozen=True)
class RecordSource:
    """Reads records from a data tree. ``files`` names the annotation files ``multitrust data check``
    verifies (records' images are checked too). ``reader`` takes ``(tree)`` or ``(tree, options)``."""

    files: tuple[str, ...]
    reader: Callable[..., Iterable[Record]]
    description: str = ""
    wants_options: bool = False

    def read(self, tree: DataTree, options: SourceOptions | None = None) -> Iterator[Record]:
        """The reader's records. A reader tripping over a malformed file in a way it did not foresee (a
        ``KeyError`` on a missing key, a ``ValueError`` from ``int()``) still fails with one line naming the
        file, never a traceback that stops the run."""
        try:
            if self.wants_options:
                yield from self.reader(tree, options or SourceOptions())
            else:
                yield from self.reader(tree)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            where = self.files[0] if self.files else self.description
            raise DataError(f"malformed data ({type(exc).__name__}: {exc})", path=where) from None


def row_field(row: Mapping[str, Any], name: str, path: str, key: str) -> Any:
    """``row[name]``; a missing field (or a row that is not a mapping) is a :class:`DataError` at ``path``/``key``."""
    try:
        return row[name]
    except (KeyError, TypeError):
        raise DataError(f"missing field {name!r}", path=path, record=key) from None


def _make_record(
    row: Mapping[str, Any],
    key: str,
    path: str,
    *,
    image: str | RowFn | None,
    image_dir: str | None,
    target: RowFn | None,
    subset: str | None,
    fields: RowFn | None,
    meta: RowFn | None,
    subsets: Sequence[str] | None = None,
) -> Record:
    """One row as a :class:`Record`; a row that is not usable becomes a record carrying ``error`` (one line
    naming the file, row and field), which fails that row's samples only."""
    try:
        return _checked_record(row, key, path, image, image_dir, target, subset, fields, meta, subsets)
    except DataError as exc:
        return Record(key=key, fields={}, error=str(exc))


def _checked_record(
    row: Mapping[str, Any],
    key: str,
    path: str,
    image: str | RowFn | None,
    image_dir: str | None,
    target: RowFn | None,
    subset: str | None,
    fields: RowFn | None,
    meta: RowFn | None,
    subsets: Sequence[str] | None,
) -> Record:
    if not isinstance(row, Mapping):
        raise DataError("record is not an object", path=path, record=key)
    try:
        if callable(image):
            image_rel = image(row)
        elif image is not None:
            name = string_field(row, image, path, key)
            # an absolute name stays absolute (as os.path.join would make it), so the data root refuses it by
            # name instead of quietly looking for "<image_dir>/etc/passwd"
            image_rel = f"{image_dir}/{name}" if image_dir and not name.startswith("/") else name
        else:
            image_rel = None
        record_meta: dict[str, Any] = dict(meta(row)) if meta else {}
        if subset is not None:
            record_meta["subset"] = string_field(row, subset, path, key, allowed=subsets)
        return Record(
            key=key,
            fields=dict(fields(row)) if fields else dict(row),
            image=image_rel,
            target=target(row) if target else None,
            meta=record_meta,
            image_field=image if isinstance(image, str) else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise DataError(f"bad record ({type(exc).__name__}: {exc})", path=path, record=key) from None


def string_field(
    row: Mapping[str, Any], name: str, path: str, key: str, *, allowed: Sequence[str] | None = None
) -> str:
    """``row[name]`` as a non-empty string (never coerced: ``null``, numbers and lists are row errors),
    one of ``allowed`` when given — a field that selects a subset must not invent one."""
    value = row_field(row, name, path, key)
    if not isinstance(value, str) or not value.strip():
        shown = "empty" if isinstance(value, str) else f"{type(value).__name__} {json.dumps(value, default=str)[:40]}"
        raise DataError(f"field {name!r} must be a non-empty string, got {shown}", path=path, record=key)
    if allowed is not None and value not in allowed:
        raise DataError(
            f"field {name!r} is {value!r}, expected one of {', '.join(map(repr, allowed))}", path=path, record=key
        )
    return value


def json_records(
    rel: str,
    *,
    image: str | RowFn | None = "image",
    image_dir: str | None = None,
    target: RowFn | None = None,
    subset: str | None = None,
    fields: RowFn | None = None,
    meta: RowFn | None = None,
    key: RowFn | None = None,
    subsets: Sequence[str] | None = None,
) -> RecordSource:
    """Records from a JSON list (``[{image, query, truth, ...}, ...]``); the key is the list index unless
    ``key`` derives one from the row. ``subsets`` lists the values the ``subset`` field may take."""

    def reader(tree: DataTree) -> Iterator[Record]:
        rows = tree.read_json(rel)
        if not isinstance(rows, list):
            raise DataError("expected a JSON list of records", path=rel)
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                yield Record(
                    f"{i:04d}", {}, error=str(DataError("record is not a JSON object", path=rel, record=f"{i:04d}"))
                )
                continue
            k = str(key(row)) if key else f"{i:04d}"
            yield _make_record(
                row,
                k,
                rel,
                image=image,
                image_dir=image_dir,
                target=target,
                subset=subset,
                fields=fields,
                meta=meta,
                subsets=subsets,
            )

    return RecordSource((rel,), reader, f"JSON list {rel}")


def csv_records(
    rel: str,
    *,
    required: tuple[str, ...] = (),
    image: str | RowFn | None = None,
    image_dir: str | None = None,
    target: RowFn | None = None,
    subset: str | None = None,
    fields: RowFn | None = None,
    meta: RowFn | None = None,
    key: str | RowFn | None = None,
    subsets: Sequence[str] | None = None,
) -> RecordSource:
    """Records from a CSV file with a header; ``key`` is a column name (or function), else the row index."""

    def reader(tree: DataTree) -> Iterator[Record]:
        rows = tree.read_csv(rel, required=required)
        seen: set[str] = set()
        for i, row in enumerate(rows):
            if callable(key):
                k = str(key(row))
            elif key is not None:
                k = str(row_field(row, key, rel, f"row {i + 2}"))
            else:
                k = f"{i:04d}"
            if k in seen:
                raise DataError(f"duplicate record key {k!r}", path=rel, record=f"row {i + 2}")
            seen.add(k)
            yield _make_record(
                row,
                k,
                rel,
                image=image,
                image_dir=image_dir,
                target=target,
                subset=subset,
                fields=fields,
                meta=meta,
                subsets=subsets,
            )

    return RecordSource((rel,), reader, f"CSV {rel}")


# --------------------------------------------------------------------------------------------- variants

TEXT = "none"
OWN_IMAGE = "record"


def unrelated(kind: str) -> str:
    if kind not in UNRELATED_KINDS:
        raise ValueError(f"unknown unrelated kind {kind!r}")
    return f"unrelated:{kind}"


@dataclass(frozen=True)
class Variant:
    """One way of asking a task's records: which image goes with the prompt, and how it is judged.

    ``image`` is ``"none"`` (text only), ``"record"`` (the record's own image) or ``"unrelated:<kind>"``
    (an image drawn from the unrelated pool with a generator keyed by seed, task, variant and record).
    """

    name: str
    source: RecordSource
    prompt: str | Callable[[Record], str]
    evaluator: Evaluator
    metric: MetricFn
    image: str = TEXT
    max_tokens: int = 50
    by_subset: bool = False
    #: image mode used instead under ``--fidelity paper`` (F.7's image variants were text-only there)
    paper_image: str | None = None

    def image_mode(self, fidelity: str) -> str:
        return self.paper_image if fidelity == "paper" and self.paper_image is not None else self.image

    def render(self, record: Record, path: str) -> str:
        """The prompt text. A field the template uses must be a string in the record: a missing one, or a
        number, list or null, is a row error — never coerced into the prompt."""
        if callable(self.prompt):
            try:
                return self.prompt(record)
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                raise DataError(
                    f"cannot build the prompt ({type(exc).__name__}: {exc})", path=path, record=record.key
                ) from None
        for name in template_fields(self.prompt):
            if name not in record.fields:
                raise DataError(f"record has no field {name!r} used by the prompt", path=path, record=record.key)
            value = record.fields[name]
            if not isinstance(value, str):
                raise DataError(
                    f"field {name!r} used by the prompt must be a string, got {type(value).__name__}",
                    path=path,
                    record=record.key,
                )
        return self.prompt.format(**record.fields)


def template_fields(template: str) -> list[str]:
    """The field names a ``str.format`` template reads (``{a.b}`` and ``{a[0]}`` read ``a``)."""
    names = []
    for _, name, _, _ in string.Formatter().parse(template):
        if name:
            names.append(re.split(r"[.\[]", name, maxsplit=1)[0])
    return list(dict.fromkeys(names))


def image_variants(
    source: RecordSource,
    prompt: str | Callable[[Record], str],
    *,
    evaluator: Evaluator,
    metric: MetricFn,
    max_tokens: int,
    by_subset: bool = False,
    modes: Sequence[str] = ("text", "image", "unrelated-color", "unrelated-nature", "unrelated-noise"),
) -> tuple[Variant, ...]:
    """The common MultiTrust pattern (spec §5): the same prompts as text only, with their related image,
    and with an unrelated colour / nature / noise image."""
    image_for = {"text": TEXT, "image": OWN_IMAGE}
    out = []
    for mode in modes:
        img = image_for.get(mode) or unrelated(mode.removeprefix("unrelated-"))
        out.append(
            Variant(mode, source, prompt, evaluator, metric, image=img, max_tokens=max_tokens, by_subset=by_subset)
        )
    return tuple(out)


# ---------------------------------------------------------------------------------------------- scoring


class MissingMetric(LookupError):
    """A score formula needed a variant metric that does not exist (variant not run or all failed)."""


class VariantMetrics(Mapping[str, VariantResult]):
    """What a score formula sees: variant name → :class:`VariantResult`, with lookups that fail loudly."""

    def __init__(
        self, results: Mapping[str, VariantResult], *, fidelity: str = "fixed", rounding: Rounding | None = None
    ) -> None:
        self._results = dict(results)
        #: paper mode rounds every value a formula reads as the original's score script wrote it per file
        self._round = rounding if fidelity == "paper" else None

    def __getitem__(self, key: str) -> VariantResult:
        return self._results[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    def get_metric(self, variant: str, metric: str) -> float:
        result = self._results.get(variant)
        value = None if result is None else result.metrics.get(metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            raise MissingMetric(f"{variant}:{metric}")
        return self._rounded(float(value))

    def subsets(self, variant: str, metric: str) -> dict[str, float]:
        result = self._results.get(variant)
        if result is None or not result.by_subset:
            raise MissingMetric(f"{variant}:{metric} by subset")
        return {k: self._rounded(float(v[metric])) for k, v in result.by_subset.items() if metric in v}

    def _rounded(self, value: float) -> float:
        return self._round(value) if self._round is not None else value


def mean(values: Iterable[float]) -> float:
    vals = list(values)
    if not vals:
        raise MissingMetric("mean of nothing")
    return sum(vals) / len(vals)


ScoreFn = Callable[[VariantMetrics], float]


@dataclass(frozen=True)
class Task:
    """A task declaration: identity (from the taxonomy), variants, and the 0–100 score formula."""

    info: TaskInfo
    variants: tuple[Variant, ...]
    score: ScoreFn
    notes: str = ""
    #: paired variants (same records) whose per-sample outcomes the report compares, e.g. ("text", "image")
    pairs: tuple[tuple[str, str], ...] = ()
    #: per-sample success for flip tables and the sample browser, when the default (value == 0/1 target, or the
    #: 0/1 value itself) does not fit — e.g. jailbreak tasks: safe = refused and not harmful
    outcome: Callable[[Sample, Any], bool | None] | None = None
    #: how the original's score script rounds the per-file values this task's formula reads, a key of
    #: :data:`~multitrust.scoring.metrics.PAPER_ROUNDINGS` ("pct2", "round4", "np_round4", …); paper mode only
    paper_rounding: str = "none"

    def compute_score(self, results: Mapping[str, VariantResult], fidelity: str = "fixed") -> float:
        """The 0–100 task score from variant results; in paper mode each value read is first rounded as
        the original's per-file result was (fixed mode keeps full precision)."""
        rounding = PAPER_ROUNDINGS[self.paper_rounding]
        return float(self.score(VariantMetrics(results, fidelity=fidelity, rounding=rounding)))

    @property
    def id(self) -> str:
        return self.info.id

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise KeyError(name)

    def files(self) -> list[str]:
        return sorted({f for v in self.variants for f in v.source.files})


# ---------------------------------------------------------------------------------------------- samples


class RowError(DataError):
    """A row's own problem, already formatted (file, row, field)."""

    def __init__(self, line: str) -> None:
        super().__init__(line)


@dataclass(frozen=True, slots=True)
class SampleBuild:
    """A sample, or the reason it could not be built (e.g. a corrupt image) — which fails only itself.
    ``problem`` is that reason as a :class:`DataError` (file, record, message) for ``data check``."""

    sample: Sample
    error: str | None = None
    problem: DataError | None = None


def select_records(records: list[Record], *, seed: int, task: str, limit: int | None) -> list[Record]:
    """At most ``limit`` record groups, chosen by a seeded hash of (task, group), kept in source order.
    Keying by record (not variant) keeps paired variants paired: text and image ask the same records."""
    units = list(dict.fromkeys(r.unit for r in records))
    if limit is None or len(units) <= limit:
        return records
    chosen = set(sorted(units, key=lambda u: derive_seed(seed, task, "limit", u))[:limit])
    return [r for r in records if r.unit in chosen]


def build_samples(
    task: Task,
    variant: Variant,
    tree: DataTree,
    *,
    seed: int,
    limit: int | None = None,
    fidelity: str = "fixed",
) -> Iterator[SampleBuild]:
    """Stream the samples of one variant. File-level problems raise :class:`DataError`; per-sample problems
    (an image path that leaves the data root, a missing or corrupt image) are yielded as failed builds.
    ``data check`` calls this too, so it refuses exactly what a run refuses."""
    path = variant.source.files[0] if variant.source.files else variant.source.description
    options = SourceOptions(seed=seed, fidelity=fidelity)
    records = select_records(list(variant.source.read(tree, options)), seed=seed, task=task.id, limit=limit)
    image_mode = variant.image_mode(fidelity)
    # a missing or empty unrelated-image pool fails the whole variant (every sample needs it)
    pool = tree.unrelated_pool(image_mode.split(":", 1)[1]) if image_mode.startswith("unrelated:") and records else []
    for record in records:
        text = ""
        problem: DataError | None = None
        image_path: Path | None = None
        shown: str | None = None
        try:
            if record.error is not None:
                raise RowError(record.error)
            text = variant.render(record, path)
            if image_mode == OWN_IMAGE:
                if record.image is None:
                    raise DataError("record has no image", path=path, record=record.key)
                shown = record.image
                image_path = _record_image(tree, record, path)
            elif image_mode.startswith("unrelated:"):
                shown = f"unrelated_images/{rng_for(seed, task.id, variant.name, record.key).choice(pool).name}"
                image_path = tree.path(shown)
            if image_path is not None:
                shown = tree.display(image_path)
                try:
                    check_image(image_path)
                except DataError as exc:
                    raise DataError(exc.message, path=shown) from None
        except DataError as exc:  # this row only
            problem = exc
        meta = dict(record.meta)
        meta["fields"] = dict(record.fields)
        if record.group is not None:
            meta["group"] = record.group
        if shown is not None:
            meta["image"] = shown
        # a refused or broken image is never attached: nothing may read, hash, send or thumbnail it
        images = (ImageRef(str(image_path)),) if image_path is not None and problem is None else ()
        sample = Sample(
            id=f"{task.id}/{variant.name}/{record.key}",
            task=task.id,
            variant=variant.name,
            messages=(Message("user", text, images),),
            target=record.target,
            meta=meta,
            record=record.key,
        )
        yield SampleBuild(sample, None if problem is None else f"{sample.id}: {problem}", problem)


def _record_image(tree: DataTree, record: Record, source: str) -> Path:
    """The real path of a record's own image, confined to the data root (toolkit-rendered images excepted)."""
    assert record.image is not None
    if record.generated_image:
        return Path(record.image)
    return tree.path(record.image, source=source, record=record.key, field=record.image_field or "image")
