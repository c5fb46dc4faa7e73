from multitrust.cli import main

main()
