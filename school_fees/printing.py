"""Many documents of one print format into one PDF, with one wkhtmltopdf run per batch of documents
instead of one per document.

Why: frappe.get_print(as_pdf=True) starts wkhtmltopdf for each document, and most of the ~0.55 s a
Fee Invoice takes that way is that run (process start, the print stylesheet loaded over HTTP, the
layout of one page): a bulk export of 200 invoices took 110-130 s, a web request's timeout. Here
each document's print HTML is rendered exactly as Frappe renders it (frappe.get_print(as_pdf=False):
the same /printview page, print format, letter head, Print Settings and print permission), then up to
DOCUMENTS_PER_RUN of them are laid out as one HTML document, each starting on a new page, and printed
by Frappe's own frappe.utils.pdf.get_pdf (its wkhtmltopdf options, cookies, private images, error
handling): ~0.12 s per invoice in all, against ~0.5 (benchmarks/bulk_export.py).

Each document must print exactly as it prints alone, so a document joins the current run only when
- it has no PDF header or footer (an element with id header-html or footer-html: Frappe hands it to
  wkhtmltopdf as the run's --header-html / --footer-html, repeated on every page of the run with the
  run's page numbers; e.g. the Standard format under Print Settings "Repeat Header and Footer"). Such
  a document always gets a run of its own, as frappe.get_print(as_pdf=True) would give it;
- its stylesheet is the run's: the same <html> attributes, the same <head> but for its <title>, the
  same <style> and <link> elements in the body. So no document's CSS reaches another one, and the page
  size and margins that Frappe reads from the styles (frappe.utils.pdf.read_options_from_html) are
  those of every document alone.
Otherwise it starts a new run. Documents are parsed with html5lib, the parser get_pdf itself uses.

DOCUMENTS_PER_RUN: wkhtmltopdf's time per page grows with the size of the document past a few hundred
pages (one-page invoices, measured: 100 per run 0.019 s a page, 200 0.018, 400 0.058, 1000 0.074),
and its memory with every page (100 pages ~100 MB); 100 keeps both flat and gives progress steps.

A print format with another PDF generator (an app's pdf_generator hook, e.g. Print Designer's
Chrome) is printed one document at a time through frappe.get_print, as Frappe's download_multi_pdf
does.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup
from pypdf import PdfWriter

import frappe
from frappe.utils.pdf import get_pdf

WKHTMLTOPDF = "wkhtmltopdf"
DOCUMENTS_PER_RUN = 100
HEADER_FOOTER_IDS = ("header-html", "footer-html")
# what starts each document after the first on a new page
PAGE_BREAK_STYLE = "page-break-before: always"

Progress = Callable[[int, int], None]


@dataclass
class PrintedDocument:
	"""One document's print HTML, parsed, and what decides whether it may share a wkhtmltopdf run."""

	name: str
	soup: BeautifulSoup
	stylesheet: tuple
	has_header_or_footer: bool


def append_prints(
	doctype: str,
	names: list[str],
	print_format: str | None,
	output: PdfWriter,
	progress: Progress | None = None,
) -> PdfWriter:
	"""Append the print of every document to `output`, in the order given, each exactly as
	frappe.get_print(as_pdf=True) prints it. A failed print raises (nothing is left out silently).
	`progress(done, total)` is called for every document once its pages are in `output`."""
	if pdf_generator(print_format) != WKHTMLTOPDF:
		return append_one_by_one(doctype, names, print_format, output, progress)
	done = 0
	for run in print_runs(doctype, names, print_format):
		get_pdf(joined_html(run), output=output)
		for _document in run:
			done += 1
			if progress:
				progress(done, len(names))
	return output


def append_one_by_one(
	doctype: str,
	names: list[str],
	print_format: str | None,
	output: PdfWriter,
	progress: Progress | None = None,
) -> PdfWriter:
	"""One frappe.get_print(as_pdf=True) per document, as Frappe's download_multi_pdf does (but a
	failed print raises)."""
	for done, name in enumerate(names, start=1):
		frappe.get_print(doctype, name, print_format, as_pdf=True, output=output)
		if progress:
			progress(done, len(names))
	return output


def pdf_generator(print_format: str | None) -> str:
	"""The PDF generator frappe.get_print would use for this print format (the request's own choice
	first, as get_print reads it)."""
	return (
		frappe.local.form_dict.get("pdf_generator")
		or (print_format and frappe.get_cached_value("Print Format", print_format, "pdf_generator"))
		or WKHTMLTOPDF
	)


def print_runs(doctype: str, names: list[str], print_format: str | None) -> Iterator[list[PrintedDocument]]:
	"""The documents, rendered one by one and grouped, in order, into the runs of wkhtmltopdf that print
	them exactly as alone (see the module docstring): at most DOCUMENTS_PER_RUN documents sharing one
	stylesheet and without a header or footer, or a single document."""
	run: list[PrintedDocument] = []
	for name in names:
		document = rendered(doctype, name, print_format)
		if run and not may_join(run, document):
			yield run
			run = []
		run.append(document)
	if run:
		yield run


def may_join(run: list[PrintedDocument], document: PrintedDocument) -> bool:
	first = run[0]
	return (
		len(run) < DOCUMENTS_PER_RUN
		and not first.has_header_or_footer
		and not document.has_header_or_footer
		and document.stylesheet == first.stylesheet
	)


def rendered(doctype: str, name: str, print_format: str | None) -> PrintedDocument:
	"""The document's print HTML, as frappe.get_print(as_pdf=True) would hand it to get_pdf (and the
	app hooks that get_print runs before each PDF print, `on_print_pdf`, are run for it too)."""
	html = frappe.get_print(doctype, name, print_format)
	for hook in frappe.get_hooks("on_print_pdf"):
		frappe.call(hook, doctype=doctype, name=name, print_format=print_format)
	soup = BeautifulSoup(html, "html5lib")
	return PrintedDocument(
		name=name,
		soup=soup,
		stylesheet=stylesheet(soup),
		has_header_or_footer=soup.find(id=list(HEADER_FOOTER_IDS)) is not None,
	)


def stylesheet(soup: BeautifulSoup) -> tuple:
	"""Everything in a print that styles it: the <html> and <body> attributes, the <head> but for its
	<title>, and the <style> / <link> elements inside the body (a Jinja print format's own CSS)."""
	head = tuple(str(tag) for tag in soup.head.contents if getattr(tag, "name", None) != "title")
	in_body = tuple(str(tag) for tag in soup.body.find_all(["style", "link"]))
	return (str(soup.html.attrs), str(soup.body.attrs), head, in_body)


def joined_html(run: list[PrintedDocument]) -> str:
	"""One HTML document: the first document, then the body of every other one, each after a page
	break (an empty block with page-break-before, so no element of any document is restyled)."""
	first, *others = (document.soup for document in run)
	for soup in others:
		first.body.append(first.new_tag("div", attrs={"style": PAGE_BREAK_STYLE}))
		for element in list(soup.body.contents):
			first.body.append(element.extract())
	return str(first)
