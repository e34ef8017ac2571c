/* argv -> the command table -> the command. Nothing else lives here. */
#include "cli/cli.h"

int
main(int argc, char **argv)
{
	return sf_cli_main(argc, argv);
}
