from abstract_search.cli import main

raise SystemExit(main())
