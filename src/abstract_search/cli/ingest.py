"""`abstract-search ingest`: turn an abstract book or a table into corpus records."""

from __future__ import annotations

from abstract_search.cli.common import print_json
from abstract_search.records import CorpusError

# The fields `--col` maps, as abstract_search.ingest.tables.FIELDS has them (kept literal so that
# `--help` imports nothing; a test checks the two agree).
COL_FIELDS = "title, abstract, speakers, affiliations, id, kind, number, session, date, start, end, tags, references"


def add_ingest(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="turn an abstract book (.txt/.pdf) or a table (.csv/.tsv/.jsonl/.json/.xlsx) into a corpus",
        description="Turn an abstract book (text or PDF) or a table (CSV, TSV, JSON Lines, JSON list, XLSX) "
        "into corpus records. A table is strict: one bad row fails the import and nothing is written, "
        "unless --skip-bad-rows. Columns no field takes are kept on each record as extra columns.",
    )
    p.add_argument("source", help="abstract book (.txt, .pdf) or table (.csv, .tsv, .jsonl, .json, .xlsx)")
    p.add_argument("--out", required=True, help="where to write the records (.jsonl)")
    p.add_argument("--program", default=None, help="the program in a separate file (.pdf, .docx, .html, .xlsx, .csv)")
    p.add_argument(
        "--col",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help=f"table column feeding a record field ({COL_FIELDS}); repeatable, tags may take several "
        "columns; FIELD= maps none. Unset fields are guessed from the headers (see the report)",
    )
    for field, what in (("title", "the title"), ("abstract", "the abstract"), ("id", "a stable id")):
        p.add_argument(f"--{field}-col", default=None, help=f"table column holding {what} (same as --col {field}=)")
    p.add_argument("--speakers-col", default=None, help="table column holding authors/speakers (--col speakers=)")
    p.add_argument("--sheet", default=None, metavar="NAME", help="the sheet of an .xlsx workbook (default: the first)")
    p.add_argument(
        "--skip-bad-rows",
        action="store_true",
        help="import the rows that read and list every row left out with its reason (default: fail on the first)",
    )
    p.add_argument("--kind", default=None, help="kind for table rows: talk, poster or paper (default: paper)")
    p.add_argument("--json", action="store_true", help="print the ingestion report as JSON")
    p.set_defaults(run=_run_ingest)


def _ingest_columns(args) -> dict[str, list[str]]:
    """--col options with the older --title-col style aliases folded in."""
    from abstract_search.ingest.tables import parse_col_options

    columns = parse_col_options(args.col)
    for field in ("title", "abstract", "id", "speakers"):
        alias = getattr(args, f"{field}_col")
        if alias is None:
            continue
        if field in columns:
            raise CorpusError(f"--{field}-col and --col {field}= both name the {field} column; give one")
        columns[field] = [alias]
    return columns


def _run_ingest(args) -> int:
    from abstract_search.ingest import ingest_file
    from abstract_search.records import write_records

    result = ingest_file(
        args.source,
        program=args.program,
        columns=_ingest_columns(args),
        kind=args.kind,
        sheet=args.sheet,
        skip_bad_rows=args.skip_bad_rows,
    )
    write_records(result.records, args.out)
    if args.json:
        print_json(result.report_json())
    else:
        print(result.report_text())
        print(f"wrote {len(result.records)} records to {args.out}")
    return 0
