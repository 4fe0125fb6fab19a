// ndxpctl: the operator's command line for the hub (tools/ndxpctl/ndxpctl.h).
#include <iostream>

#include "tools/ndxpctl/ndxpctl.h"

int main(int argc, char** argv) { return ndxp::ndxpctl::Run(argc, argv, std::cout, std::cerr); }
