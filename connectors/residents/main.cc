// ndxp-residents: the residents (population register) connector.
#include "connectors/residents/residents_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "residents",
                                         &ndxp::residents::CreateResidentsConnector);
}
