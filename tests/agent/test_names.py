"""Name mapping: what users type -> class name, module name, factory key."""

from __future__ import annotations

import pytest

from dlt_agent.names import NameError_, map_name


@pytest.mark.parametrize(
    ("given", "class_name", "module_name"),
    [
        ("MyAttn", "MyAttn", "my_attn"),
        ("my_attn", "MyAttn", "my_attn"),
        ("HTTPAttention", "HTTPAttention", "http_attention"),
        ("Attn2D", "Attn2D", "attn_2d"),
        ("attn2d", "Attn2D", "attn_2d"),
        ("attn_2d", "Attn2D", "attn_2d"),
        ("Conv3DLayer", "Conv3DLayer", "conv_3d_layer"),
        ("GPT2Model", "GPT2Model", "gpt2_model"),
        ("my_attn_v2", "MyAttnV2", "my_attn_v2"),
        ("XMLHttpRequest", "XMLHttpRequest", "xml_http_request"),
        ("simple", "Simple", "simple"),
        ("A", "A", "a"),
        ("_private_attn", "PrivateAttn", "private_attn"),
    ],
)
def test_mapping(given: str, class_name: str, module_name: str) -> None:
    """Class names are PascalCase with acronyms kept; modules and keys are snake_case."""
    names = map_name(given)
    assert names.class_name == class_name
    assert names.module_name == module_name
    assert names.factory_key == module_name


@pytest.mark.parametrize("given", ["MyAttn", "HTTPAttention", "Attn2D", "GPT2Model", "my_attn_v2"])
def test_mapping_is_stable(given: str) -> None:
    """Mapping the derived class name again gives the same module name."""
    names = map_name(given)
    assert map_name(names.class_name).module_name == names.module_name
    assert map_name(names.module_name).module_name == names.module_name


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("123", "not a valid Python identifier"),
        ("my-attn!", "not a valid Python identifier"),
        ("my-attn", "not a valid Python identifier"),
        ("my attn", "not a valid Python identifier"),
        ("class", "keyword"),
        ("lambda", "keyword"),
        ("match", "keyword"),
        ("", "empty"),
        ("__", "no letters"),
        ("naïve", "not a valid Python identifier"),
        ("TestAttn", "pytest"),
    ],
)
def test_invalid_names_are_refused(given: str, fragment: str) -> None:
    """Invalid identifiers, keywords and names pytest would collect are refused clearly."""
    with pytest.raises(NameError_) as info:
        map_name(given)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
