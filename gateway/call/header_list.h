// Header fields as a call keeps them: the request block a door received,
// the block the hub sends the connector, an answer's headers and trailers.
#ifndef NDXP_GATEWAY_CALL_HEADER_LIST_H_
#define NDXP_GATEWAY_CALL_HEADER_LIST_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace ndxp::gateway {

// Header fields in one buffer: a field's name and value are appended to one
// string and its offsets to an inline vector, so a whole block costs one
// allocation on the call's path (pairs of strings in a vector cost one per
// long name or value, and the vector's growth).
class HeaderList {
 public:
  using Field = std::pair<absl::string_view, absl::string_view>;

  HeaderList() = default;
  HeaderList(std::initializer_list<Field> fields) {
    for (const Field& field : fields) Add(field.first, field.second);
  }

  void Add(absl::string_view name, absl::string_view value) {
    if (bytes_.capacity() == 0) bytes_.reserve(kFirstReserve);
    entries_.push_back({static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(name.size()),
                        static_cast<uint32_t>(value.size())});
    bytes_.append(name.data(), name.size());
    bytes_.append(value.data(), value.size());
  }
  void Append(const HeaderList& other) {
    for (const Field& field : other) Add(field.first, field.second);
  }
  // Removes every field called `name` (its bytes stay until clear()).
  void Erase(absl::string_view name) {
    size_t kept = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if ((*this)[i].first != name) entries_[kept++] = entries_[i];
    }
    entries_.resize(kept);
  }
  // Empties the list, keeping its buffer for the next block.
  void clear() {
    bytes_.clear();
    entries_.clear();
  }
  // Empties the list and frees its buffer.
  void Release() { HeaderList().swap(*this); }
  void swap(HeaderList& other) {
    bytes_.swap(other.bytes_);
    entries_.swap(other.entries_);
  }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  Field operator[](size_t i) const {
    const Entry& e = entries_[i];
    absl::string_view bytes(bytes_);
    return {bytes.substr(e.offset, e.name_size), bytes.substr(e.offset + e.name_size, e.value_size)};
  }

  class const_iterator {
   public:
    const_iterator(const HeaderList* list, size_t i) : list_(list), i_(i) {}
    Field operator*() const { return (*list_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator!=(const const_iterator& other) const { return i_ != other.i_; }

   private:
    const HeaderList* list_;
    size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, entries_.size()}; }

 private:
  static constexpr size_t kFirstReserve = 512;  // a gRPC request's usual headers
  struct Entry {
    uint32_t offset;  // of the name; the value follows it
    uint32_t name_size;
    uint32_t value_size;
  };
  std::string bytes_;
  absl::InlinedVector<Entry, 16> entries_;
};

}  // namespace ndxp::gateway

#endif  // NDXP_GATEWAY_CALL_HEADER_LIST_H_
