from seqkit.cli.main import main

raise SystemExit(main())
