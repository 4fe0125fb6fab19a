// ndxp-insurance: the social insurance agency's connector (000.00.00.G22).
#include "connectors/insurance/insurance_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "insurance",
                                         &ndxp::insurance::CreateInsuranceConnector);
}
