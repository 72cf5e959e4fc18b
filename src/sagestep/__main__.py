from sagestep.cli.main import main

main()
