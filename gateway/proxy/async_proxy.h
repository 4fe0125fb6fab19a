// The hub's transparent proxy: serves every method as a generic call, decides
// who may make it, and forwards the raw request bytes to the connector that
// owns the service.
//
// Threading: one thread per completion queue (one queue per core). A call is
// accepted on a queue and its upstream call uses the same queue, so every
// event of a call is handled by one thread, in order: no lock per call, no
// hand-off between threads (PERF-NOTES.md: fewer threads, fewer hand-offs).
#ifndef NDXP_GATEWAY_PROXY_ASYNC_PROXY_H_
#define NDXP_GATEWAY_PROXY_ASYNC_PROXY_H_

#include <memory>
#include <thread>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/server_builder.h>

#include "absl/synchronization/mutex.h"
#include "gateway/proxy/proxy_context.h"

namespace ndxp::gateway {

// Usage: construct, AddTo(builder) before BuildAndStart, Start() after it;
// after Server::Shutdown, Shutdown() drains the queues and joins the threads.
// SetContext (thread-safe) swaps the configuration for calls accepted from
// then on; calls in flight keep the one they started with.
class AsyncProxy {
 public:
  AsyncProxy(std::shared_ptr<const ProxyContext> context, int threads);
  ~AsyncProxy();

  void AddTo(grpc::ServerBuilder* builder);
  void Start();
  void Shutdown();
  void SetContext(const std::shared_ptr<const ProxyContext>& context);

  // One completion queue and the thread that drains it. Events are handled
  // under mu_ so that Shutdown can close the queue between two events: no
  // operation is ever started on a queue that was shut down. Only the
  // queue's own thread takes mu_ otherwise, so it is uncontended.
  struct Queue {
    std::unique_ptr<grpc::ServerCompletionQueue> cq;
    std::thread thread;
    absl::Mutex mu;
    bool shutting_down ABSL_GUARDED_BY(mu) = false;
    // The configuration new calls on this queue take. A copy per queue, read
    // under the lock its thread already holds: no shared lock per call.
    std::shared_ptr<const ProxyContext> context ABSL_GUARDED_BY(mu);
    grpc::AsyncGenericService* service = nullptr;
    int index = 0;  // also this queue's recorder shard
  };

 private:
  void Run(Queue* queue);

  grpc::AsyncGenericService service_;
  std::vector<std::unique_ptr<Queue>> queues_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_PROXY_ASYNC_PROXY_H_
