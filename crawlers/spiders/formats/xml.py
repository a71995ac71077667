"""The one hardened XML parser for source documents: no entity expansion, no network, no
DTD, no huge trees (a billion-laughs or an external-entity payload is refused or inert)."""

from __future__ import annotations

from lxml import etree

XML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


def parse_xml(data: bytes | str) -> etree._Element:
    """The root element of a document; raises `etree.XMLSyntaxError` on a malformed one."""
    return etree.fromstring(data, XML_PARSER)
