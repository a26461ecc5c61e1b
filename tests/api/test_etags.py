"""``If-None-Match`` as RFC 9110 reads it: ``*``, lists, weak comparison, and nothing from junk."""

from __future__ import annotations

import pytest

from crossdock.integration.api.etags import entity_tag, none_match, opaque_tags


def test_a_tag_is_strong_and_follows_the_bytes_of_the_representation() -> None:
    tag = entity_tag(b'{"sku":"BOLT"}')

    assert tag == entity_tag(b'{"sku":"BOLT"}')
    assert tag != entity_tag(b'{"sku":"NUT"}')
    assert tag.startswith('"')
    assert tag.endswith('"')


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"a"', {"a"}),
        ('W/"a", "b"', {"a", "b"}),
        (' , "a" ,, W/"b" , ', {"a", "b"}),
        ('"a,b"', {"a,b"}),
        ('""', {""}),
    ],
)
def test_a_list_of_tags_is_read_weak_or_strong(header: str, tags: set[str]) -> None:
    assert opaque_tags(header) == frozenset(tags)


@pytest.mark.parametrize("header", ["junk", '"a" junk', "a, b", '"unterminated', ""])
def test_a_malformed_header_lists_nothing(header: str) -> None:
    assert opaque_tags(header) == frozenset()


def test_any_matches_every_current_representation() -> None:
    assert opaque_tags(" * ") is None
    assert none_match("*", '"x"')


def test_matching_is_weak_either_way() -> None:
    assert none_match('W/"x"', '"x"')
    assert none_match('"x"', 'W/"x"')
    assert not none_match('"y", W/"z"', '"x"')
