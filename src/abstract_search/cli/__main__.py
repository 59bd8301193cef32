"""`python -m abstract_search.cli`, as the old single-file module allowed."""

from abstract_search.cli import main

raise SystemExit(main())
