// ndxp-civil-status: the civil status (civil registration) connector.
#include "connectors/civil_status/civil_status_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "civil-status",
                                         &ndxp::civil_status::CreateCivilStatusConnector);
}
