"""Read content/site.yml into a typed, fully validated SiteConfig.

Every problem is collected and reported at once, each with the file, the key
path, the line and what was expected. Nothing falls back to a default
silently: unknown keys are errors (with a "did you mean").
"""

from __future__ import annotations

import logging
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from site_builder.config.lines import where as _where
from site_builder.config.schema import CONFIG_NAME, DatasetConfig, PortalConfig, SiteConfig, normalise_base_url
from site_builder.errors import BuildError, Problem, clip, did_you_mean

log = logging.getLogger(__name__)


def load_config(content_dir: Path, base_url: str | None = None) -> SiteConfig:
    """Read and validate CONTENT/site.yml; raise BuildError with every problem.

    The schema's problems and the cross-references (datasets named by portals,
    paths, the docs folder, the base URL) are checked in the same run, so one
    build reports them all.
    """
    content_dir = Path(content_dir)
    path = content_dir / CONFIG_NAME
    if not path.is_file():
        raise BuildError(Problem(path, "", "the site configuration file does not exist"))
    try:
        text = path.read_text(encoding="utf-8")
        root_node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except UnicodeDecodeError as error:
        raise BuildError(Problem(path, "", f"not UTF-8 text ({error.reason} at byte {error.start})"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else ""
        raise BuildError(Problem(path, where, f"not valid YAML: {clip(str(getattr(error, 'problem', error)))}"))
    if not isinstance(raw, dict):
        raise BuildError(Problem(path, "", "expected a mapping of settings at the top level"))

    problems: list[Problem] = []
    config = None
    try:
        config = SiteConfig.model_validate(raw)
    except ValidationError as error:
        for group in _union_groups(error.errors()):
            problems.append(_problem_from_pydantic(path, root_node, group))
    problems += _cross_references(raw, root_node, path, content_dir, base_url)
    if problems or config is None:
        error = BuildError(problems)
        # the parts that are valid on their own, so that the columns they name can be checked too
        error.partial_config = _valid_parts(raw, content_dir, path, root_node)
        raise error

    config._content_dir = content_dir
    config._config_file = path
    config._root_node = root_node
    if base_url is not None:
        config.base_url = base_url
    if config.base_url is not None:
        config.base_url = normalise_base_url(config.base_url)
    for dataset in config.datasets.values():
        _resolve_path(dataset, content_dir)
    if config.docs is not None:
        docs_dir = (content_dir / config.docs).resolve()
        if not docs_dir.is_dir():  # only the default can be missing (_cross_references)
            log.info("no docs folder %s: the site is built without documentation", docs_dir)
            config.docs = None
        else:
            config.docs = docs_dir
    return config


def _resolve_path(dataset: DatasetConfig, content_dir: Path) -> bool:
    """A local dataset's path made absolute (relative to the content folder); False for a dataset
    by URL, which the datasets stage downloads into the cache (data.remote.dataset_roots)."""
    if dataset.path is None:
        return False
    dataset.path = (content_dir / dataset.path).resolve()
    return True


def _valid_parts(raw: dict, content_dir: Path, path: Path, root_node) -> SiteConfig | None:
    """A SiteConfig of the portals (when all of them validate) and of the local datasets that
    validate on their own, or None."""
    try:
        portals = [PortalConfig.model_validate(portal) for portal in raw.get("portals") or []]
    except (ValidationError, TypeError):
        return None
    datasets = {}
    for key, dataset in (raw.get("datasets") if isinstance(raw.get("datasets"), dict) else {}).items():
        try:
            checked = DatasetConfig.model_validate(dataset)
        except ValidationError:
            continue
        if _resolve_path(checked, content_dir) and checked.path.exists():
            datasets[str(key)] = checked
    partial = SiteConfig.model_construct(title="", datasets=datasets, portals=portals)
    partial._content_dir, partial._config_file, partial._root_node = content_dir, path, root_node
    return partial


def _cross_references(raw: dict, root_node, path: Path, content_dir: Path, base_url: str | None) -> list[Problem]:
    """Problems between keys (a portal's dataset, paths, the docs folder, the base URL), read
    from the raw mapping so that they are found even when the schema has problems of its own."""
    problems: list[Problem] = []
    url = base_url if base_url is not None else raw.get("base_url")
    if isinstance(url, str):
        try:
            normalise_base_url(url)
        except ValueError as error:
            problems.append(
                Problem(
                    path if base_url is None else "--base-url",
                    _where(root_node, ("base_url",)) if base_url is None else "",
                    str(error),
                )
            )

    datasets = raw.get("datasets") if isinstance(raw.get("datasets"), dict) else {}
    for key, dataset in datasets.items():
        given = dataset.get("path") if isinstance(dataset, dict) else None
        if isinstance(given, str) and given:
            resolved = (content_dir / given).resolve()
            if not resolved.exists():
                problems.append(
                    Problem(
                        path,
                        _where(root_node, ("datasets", key, "path")),
                        f'"{clip(given)}" does not exist (looked for {clip(str(resolved))})'
                        + _path_hint(content_dir, Path(given)),
                    )
                )

    if "docs" in raw and isinstance(raw["docs"], str):
        docs_dir = (content_dir / raw["docs"]).resolve()
        if not docs_dir.is_dir():
            problems.append(
                Problem(
                    path,
                    _where(root_node, ("docs",)),
                    f'docs folder "{clip(raw["docs"])}" does not exist (looked for {clip(str(docs_dir))}); '
                    "write docs: false for a site without documentation",
                )
            )

    portals = raw.get("portals") if isinstance(raw.get("portals"), list) else []
    seen: set[str] = set()
    for index, portal in enumerate(portals):
        if not isinstance(portal, dict):
            continue
        name, dataset = portal.get("name"), portal.get("dataset")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    Problem(
                        path, _where(root_node, ("portals", index, "name")), f'portal name "{clip(name)}" is used twice'
                    )
                )
            seen.add(name)
        if isinstance(dataset, str) and dataset not in datasets:
            known = ", ".join(sorted(str(k) for k in datasets)) or "none"
            problems.append(
                Problem(
                    path,
                    _where(root_node, ("portals", index, "dataset")),
                    f'no dataset named "{clip(dataset)}"{did_you_mean(dataset, datasets)}; '
                    f"datasets defined: {clip(known)}",
                )
            )
    return problems


def _path_hint(content_dir: Path, given: Path) -> str:
    """Paths are relative to the content folder; spot a path written from elsewhere."""
    parts = Path(given).parts
    for start in range(1, len(parts)):
        candidate = Path(*parts[start:])
        if (content_dir / candidate).exists():
            return f'; paths are relative to the content folder {content_dir}: did you mean "{candidate.as_posix()}"?'
    return f"; paths are relative to the content folder {content_dir}"


def _is_union_branch(part) -> bool:
    """pydantic names the branch of a union (e.g. `int | Literal["auto"]`) as a last loc part; a branch
    with limits (`Annotated[int, Field(ge=1)]`) is a `constrained-int`."""
    types = ("int", "float", "str", "bool")
    return isinstance(part, str) and (
        part in types or part.removeprefix("constrained-") in types or part.startswith("literal[")
    )


def _union_groups(errors: list[dict]) -> list[list[dict]]:
    """The errors, with those of one value's union branches together (one problem per key)."""
    groups: list[list[dict]] = []
    for item in errors:
        loc = tuple(item["loc"])
        if (
            loc
            and _is_union_branch(loc[-1])
            and groups
            and _is_union_branch(groups[-1][-1]["loc"][-1])
            and tuple(groups[-1][-1]["loc"][:-1]) == loc[:-1]
        ):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _union_message(items: list[dict]) -> str:
    """One message for a value that fits none of a union's branches, e.g. "expected an integer or 'auto'"."""
    nouns = {
        "int_parsing": "an integer",
        "int_type": "an integer",
        "float_parsing": "a number",
        "float_type": "a number",
        "string_type": "text",
        "bool_parsing": "true or false",
    }
    alternatives, limits = [], []
    for item in items:
        if item["type"] == "literal_error":
            alternatives.append(item["ctx"]["expected"])
        elif item["type"] in nouns:
            alternatives.insert(0, nouns[item["type"]])
        else:
            limits.append(item["msg"])
    got = f"(got {clip(repr(items[0]['input']))})"
    if limits:
        return f"{'; '.join(limits)} {got}" + (f", or write {' or '.join(alternatives)}" if alternatives else "")
    return f"expected {' or '.join(alternatives)} {got}"


def _problem_from_pydantic(path: Path, root_node, group: list[dict]) -> Problem:
    item = group[0]
    loc = tuple(item["loc"])
    if len(group) > 1:
        loc = loc[:-1]
        return Problem(path, _where(root_node, loc), _union_message(group))
    kind = item["type"]
    if kind == "extra_forbidden":
        parent_model = _model_at(loc[:-1])
        known = list(parent_model.model_fields) if parent_model else []
        message = (
            f'unknown key "{clip(str(loc[-1]))}"{did_you_mean(loc[-1], known)}; expected one of: {", ".join(known)}'
        )
    elif kind == "missing":
        message = "this key is required"
    elif kind == "literal_error":
        message = f"got {clip(repr(item['input']))}, expected {item['ctx']['expected']}"
    elif kind == "value_error":  # our own validators' words; a mapping's whole input is not echoed
        given = item["input"]
        got = "" if isinstance(given, (dict, list)) else f" (got {clip(repr(given))})"
        message = item["msg"].removeprefix("Value error, ") + got
    else:
        message = f"{item['msg']} (got {clip(repr(item['input']))})"
    return Problem(path, _where(root_node, loc), message)


def _model_at(loc: tuple):
    """The pydantic model class that validates the mapping at this key path."""
    model = SiteConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            # a key of a dict-valued field, e.g. a dataset's name
            continue
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found:
            return found
    return None
