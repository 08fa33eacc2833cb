from mejora.cli import main

raise SystemExit(main())
