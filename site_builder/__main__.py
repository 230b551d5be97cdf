from site_builder.commands.cli import main

main()
