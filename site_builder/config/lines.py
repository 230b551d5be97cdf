"""Where a key of site.yml is: its path as the messages write it, and its line in the file."""

from __future__ import annotations

import yaml


def where(root_node, loc: tuple) -> str:
    """'portals[0].label (line 12)' for a key path, with the YAML line when found."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    line = line_of(root_node, loc)
    return f"{text} (line {line})" if line else text


def line_of(node, loc: tuple) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
