// ndxp-documents: the electronic document axis connector.
#include "connectors/documents/documents_connector.h"
#include "connectors/runtime/connector_main.h"

int main(int argc, char** argv) {
  return ndxp::connectors::ConnectorMain(argc, argv, "documents",
                                         &ndxp::documents::CreateDocumentsConnector);
}
