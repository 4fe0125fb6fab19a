// ndxp-business: the business registry connector.
#include "connectors/business/business_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "business",
                                         &ndxp::business::CreateBusinessConnector);
}
