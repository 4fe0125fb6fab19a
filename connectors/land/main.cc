// ndxp-land: the land register connector.
#include "connectors/land/land_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "land", &ndxp::land::CreateLandConnector);
}
