"""FCC documents about 911 outages, read in their plain-text (`.txt`) form.

Two ways in:

- the known documents, kept as data in `crawlers/data/fcc_documents.csv` (document number,
  kind, title, release date, the curated incident it is about): PSHSB outage reports,
  Enforcement Bureau consent decrees, news releases, public notices, statements and DIRS
  communications status reports. Each is fetched as
  `https://docs.fcc.gov/public/attachments/<ID>.txt`. `--since`/`--until` select them by
  release date (by default all of them);
- the FCC's news listing (`https://www.fcc.gov/news-events/headlines`) and any fcc.gov page
  that lists documents (EDOCS results, a document's own `/document/<slug>` page): links to
  attachments and document pages about 911, outages or DIRS are followed (see
  `crawlers.spiders.formats.fcc.listing_links`).

Each document is one report keyed by its document number. Facts come from
`crawlers.spiders.formats.fcc` (on top of `crawlers.extract`). The spider classifies each
document itself: a DIRS status report from its own structure (PSAPs reported affected or
not), every other document with `crawlers.classify.classify_text` on its text without the
FCC's letterhead (so "Washington, D.C. 20554" is no place of the outage and the "Network
Outage Reporting System" no cause). A consent decree about an auction is `not_outage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

from scrapy.http import Request, Response

from crawlers.classify import classify_text, find_cause
from crawlers.items import OutageReport, make_report_id
from crawlers.spiders.base import OutageSpider, PageError
from crawlers.spiders.formats import fcc

LISTING_URLS = ("https://www.fcc.gov/news-events/headlines",)
# Official documents keep their text; this bounds a pathological one.
MAX_BODY_CHARS = 400_000


class FccDocsSpider(OutageSpider):
    name = "fcc_docs"
    page_maxsize = 32 * 1024 * 1024  # FCC documents are PDFs, some of them long
    source_title = "FCC documents: outage reports, consent decrees, DIRS status reports"
    source_home = "https://www.fcc.gov/news-events/headlines"
    coverage_states = "all"
    coverage_since = "2014-05-16"
    cadence_minutes = 24 * 60
    run_window = "every known document"
    source_kind = "regulator"
    verified_with = (
        "consent_decree_DA-21-1543A1_lumen",
        "news_release_DOC-360612A1",
        "not_911_DA-22-80A1_auction",
        "public_notice_DA-14-676A1",
        "report_DOC-359134A1_centurylink_2018",
        "statement_DOC-330013A1",
    )
    robots_txt = (
        "not checked: no stored copy of https://docs.fcc.gov/robots.txt or "
        "https://www.fcc.gov/robots.txt (public repositories report that www.fcc.gov refuses "
        "automated clients with an Akamai 'Access Denied' 403, robots.txt included)"
    )
    terms = (
        "not found (FCC documents are public records of a federal agency; no terms page "
        "was found in the stored copies)"
    )
    empty_ok_because = None
    allowed_domains = ["fcc.gov"]

    @classmethod
    def default_days(cls) -> int:
        return 365 * 30  # every known document unless --since says otherwise

    def live_requests(self) -> Iterator[Request]:
        for doc in sorted(fcc.known_documents().values(), key=lambda d: (d.released, d.doc_id)):
            if self.since <= doc.released <= self.until:
                yield self.request(fcc.txt_url(doc.doc_id), self.parse)
        for url in LISTING_URLS:
            yield self.request(url, self.parse)

    def is_start_url(self, url: str) -> bool:
        if fcc.attachment_id(url) and url.lower().endswith(".txt"):
            return True
        return any(url.split("?", 1)[0].rstrip("/") == u.rstrip("/") for u in LISTING_URLS)

    def parse_page(self, response: Response) -> Iterator[OutageReport | Request]:
        doc_id = fcc.attachment_id(response.url)
        if doc_id and response.url.lower().endswith(".txt"):
            yield self.document_report(response, doc_id)
            return
        yield from self.parse_listing(response)

    # ---- listing pages -------------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterator[Request]:
        try:
            html = response.text
        except AttributeError as exc:
            raise PageError("FCC listing page is not text") from exc
        links, total = fcc.listing_links(html, response.url)
        if total == 0:
            raise PageError("FCC page lists no documents (no attachment or /document/ links)")
        for link in links:
            yield self.request(link.url, self.parse)

    # ---- documents -----------------------------------------------------------------------
    def document_report(self, response: Response, doc_id: str) -> OutageReport:
        try:
            text = fcc.read_document(response.body)
        except ValueError as exc:
            raise PageError(f"FCC document {doc_id} is not readable text: {exc}") from exc
        known = fcc.known_documents().get(doc_id)
        kind = known.kind if known else fcc.detect_kind(text)
        if kind == "document":
            kind = fcc.detect_kind(text)
        released = fcc.released_at(text)
        title = fcc.document_title(text, kind) or (known.title if known else doc_id)
        meta = self.meta_of(response)
        item = OutageReport(
            report_id=make_report_id(self.name, doc_id),
            source=self.name,
            source_url=response.url,
            archive_ref=meta["archive_ref"],
            fetched_at=meta["fetched_at"],
            is_constructed=meta["constructed"],
            published_at=released[0] if released else _known_day(known),
            title=title,
            body=text[:MAX_BODY_CHARS],
        )
        evidence: dict[str, str] = {"fcc_document": f"{doc_id} ({kind})"}
        if released:
            evidence["published_at"] = released[1]
        if known and known.incident_key:
            evidence["curated_key"] = known.incident_key
        day = fcc.incident_date(text)
        if day:
            # the day only (a date is not a start time): for linking the document to its outage
            evidence["incident_date"] = day[1]
            evidence["incident_day"] = day[0].isoformat()
            item["occurred_on"] = day[0]
        if kind == "dirs_report":
            self.fill_dirs(item, text, evidence)
        else:
            facts = fcc.document_facts(
                text, kind=kind, title=title, published_at=item["published_at"]
            )
            fields = facts.item_fields()
            evidence.update(fields.pop("field_evidence", {}))
            item.update(fields)
            self.classify(item, text, title)
        item["field_evidence"] = evidence
        return item

    @staticmethod
    def classify(item: OutageReport, text: str, title: str | None) -> None:
        """Classify the document as the pipeline would, on its text without the letterhead.

        The FCC's address ("Washington, D.C. 20554") and the "Network Outage Reporting
        System" are not facts of an outage; classifying the raw text would take the latter
        for a cause.
        """
        result = classify_text(fcc.facts_text(text), title=title)
        item["is_outage"] = result.is_outage
        item["status"] = result.status
        item["confidence"] = result.confidence
        item["evidence"] = result.evidence
        if result.is_outage:
            for name in ("cause", "provider", "backup_phone"):
                if not item.get(name):
                    item[name] = getattr(result, name)

    @staticmethod
    def fill_dirs(item: OutageReport, text: str, evidence: dict[str, str]) -> None:
        """A DIRS report says itself whether PSAPs were affected: classify it here."""
        report = fcc.parse_dirs(text)
        states = report.affected_states
        item["state_codes"] = states
        item["county_fips"] = [c for s in states for c in report.area_counties.get(s, [])]
        item["psaps_affected"] = report.psaps_affected if report.psaps else None
        if report.psaps:
            evidence["psaps_affected"] = " | ".join(span for _, span in report.psaps.values())
        if states:
            evidence["state_codes"] = " | ".join(report.psaps[s][1] for s in states)
            spans = [report.area_spans[s] for s in states if s in report.area_spans]
            if spans:
                evidence["county_fips"] = " | ".join(spans)
        unmatched = [f"{s}: {n}" for s, names in report.unmatched.items() for n in names]
        if unmatched:
            evidence["unmatched_counties"] = "; ".join(unmatched)
        if report.event:
            cause = find_cause(report.event)
            if cause:
                item["cause"], evidence["cause"] = cause
        affected = report.psaps_affected > 0
        item["is_outage"] = affected
        item["status"] = "outage" if affected else "not_outage"
        item["confidence"] = 0.95 if report.psaps else 0.6
        item["evidence"] = (
            evidence.get("psaps_affected") or "no 911 Services section with PSAP counts"
        )


def _known_day(known: fcc.KnownDocument | None) -> datetime | None:
    """The release day of a known document, when the text gives none."""
    if known is None:
        return None
    return datetime.combine(known.released, time(0), tzinfo=fcc.FCC_ZONE)
