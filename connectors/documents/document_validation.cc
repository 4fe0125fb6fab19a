#include "connectors/documents/document_validation.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/identifiers/agency_code.h"
#include "common/identifiers/civil_date.h"

namespace ndxp::documents {
namespace {

using ndxp::connectors::FieldViolations;

constexpr absl::string_view kDocumentIdPrefix = "DOC-";
constexpr size_t kDocumentIdDigits = 12;
constexpr size_t kMaxCodeNumberDigits = 10;
constexpr int kMaxNotationGroups = 8;
constexpr size_t kMaxNotationGroupLength = 20;

// Upper-case Vietnamese letters beyond A-Z that notations use ("QĐ-UBND",
// "NĐ-CP", "TƯ"), every precomposed one accepted.
constexpr absl::string_view kVietnameseCapitals =
    "ĐĂÂÊÔƠƯÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ";

// Top-level media types of the IANA registry (RFC 6838 section 4.2).
const std::set<absl::string_view>& TopLevelMediaTypes() {
  static const auto* types = new std::set<absl::string_view>{
      "application", "audio", "font", "image", "model", "text", "video"};
  return *types;
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Length in bytes of the UTF-8 sequence led by `lead`; 0 if not a lead byte.
size_t Utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

// One group of a notation: letters and digits, starting with an upper-case
// letter or a digit ("UBND", "TTg", "2024"). Sets *has_letter when it holds
// a letter.
bool IsNotationGroup(absl::string_view group, bool* has_letter) {
  if (group.empty() || absl::ascii_islower(static_cast<unsigned char>(group[0]))) return false;
  size_t characters = 0;
  for (size_t i = 0; i < group.size();) {
    const unsigned char c = static_cast<unsigned char>(group[i]);
    const size_t length = Utf8SequenceLength(c);
    if (length == 0 || i + length > group.size()) return false;
    if (length == 1) {
      if (absl::ascii_isalpha(c)) {
        *has_letter = true;
      } else if (!absl::ascii_isdigit(c)) {
        return false;
      }
    } else {
      // UTF-8 is self-synchronising: a whole sequence found in the list is
      // one of its letters.
      if (kVietnameseCapitals.find(group.substr(i, length)) == absl::string_view::npos) {
        return false;
      }
      *has_letter = true;
    }
    i += length;
    ++characters;
  }
  return characters <= kMaxNotationGroupLength;
}

// RFC 6838 restricted-name characters after the first.
bool IsRestrictedNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$&^_.+-").find(c) != absl::string_view::npos;
}

bool IsRestrictedName(absl::string_view name) {
  if (name.empty() || name.size() > 127) return false;
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!IsRestrictedNameChar(c)) return false;
  }
  return true;
}

void CheckRequiredText(FieldViolations* violations, absl::string_view field,
                       absl::string_view value, size_t max_length) {
  if (value.empty()) {
    violations->Add(field, "is required");
  } else if (value.size() > max_length) {
    violations->Add(field, absl::StrCat("is longer than ", max_length, " bytes"));
  }
}

void ValidateRecipients(const v1::Envelope& envelope, FieldViolations* violations) {
  if (envelope.to_agencies().empty()) {
    violations->Add("envelope.to_agencies", "at least one recipient is required");
    return;
  }
  if (envelope.to_agencies_size() > kMaxRecipients) {
    violations->Add("envelope.to_agencies",
                    absl::StrCat("at most ", kMaxRecipients, " recipients"));
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < envelope.to_agencies_size(); ++i) {
    const std::string field = absl::StrCat("envelope.to_agencies[", i, "]");
    const std::string& recipient = envelope.to_agencies(i);
    if (!identifiers::IsValidAgencyCode(recipient)) {
      violations->Check(field, identifiers::ValidateAgencyCode(recipient, field));
    } else if (recipient == envelope.from_agency()) {
      violations->Add(field, "the sender cannot be a recipient");
    } else if (!seen.insert(recipient).second) {
      violations->Add(field, absl::StrCat("duplicate recipient ", recipient));
    }
  }
}

void ValidateAttachments(const v1::Envelope& envelope, FieldViolations* violations) {
  if (envelope.attachments_size() > kMaxAttachments) {
    violations->Add("envelope.attachments",
                    absl::StrCat("at most ", kMaxAttachments, " attachments"));
  }
  int64_t inline_bytes = 0;
  for (int i = 0; i < envelope.attachments_size(); ++i) {
    const v1::Attachment& attachment = envelope.attachments(i);
    const std::string prefix = absl::StrCat("envelope.attachments[", i, "].");
    const std::string file_name = absl::StrCat(prefix, "file_name");
    violations->Check(file_name, ValidateFileName(attachment.file_name(), file_name));
    const std::string content_type = absl::StrCat(prefix, "content_type");
    violations->Check(content_type,
                      ValidateContentType(attachment.content_type(), content_type));
    if (attachment.size_bytes() <= 0 || attachment.size_bytes() > kMaxAttachmentBytes) {
      violations->Add(absl::StrCat(prefix, "size_bytes"),
                      absl::StrCat("must be 1..", kMaxAttachmentBytes, " bytes, got ",
                                   attachment.size_bytes()));
    }
    if (!attachment.content().empty()) {
      const auto content_size = static_cast<int64_t>(attachment.content().size());
      inline_bytes += content_size;
      if (content_size != attachment.size_bytes()) {
        violations->Add(absl::StrCat(prefix, "content"),
                        absl::StrCat("holds ", content_size, " bytes but size_bytes says ",
                                     attachment.size_bytes()));
      }
    }
  }
  if (inline_bytes > kMaxInlineContentBytes) {
    violations->Add("envelope.attachments",
                    absl::StrCat("inline content totals ", inline_bytes, " bytes, more than ",
                                 kMaxInlineContentBytes));
  }
}

}  // namespace

absl::Status ValidateCodeNumber(absl::string_view number, absl::string_view field) {
  if (number.empty()) return Invalid(field, "is required");
  if (!IsDigits(number) || number.size() > kMaxCodeNumberDigits) {
    return Invalid(field, absl::StrCat("must be 1..", kMaxCodeNumberDigits, " digits, got \"",
                                       number, "\""));
  }
  if (number.find_first_not_of('0') == absl::string_view::npos) {
    return Invalid(field, "must not be zero");
  }
  return absl::OkStatus();
}

absl::Status ValidateCodeNotation(absl::string_view notation, absl::string_view field) {
  if (notation.empty()) return Invalid(field, "is required");
  if (notation.size() > kMaxCodeNotationLength) {
    return Invalid(field, absl::StrCat("is longer than ", kMaxCodeNotationLength, " bytes"));
  }
  std::vector<absl::string_view> groups = absl::StrSplit(notation, absl::ByAnyChar("-/"));
  bool has_letter = false;
  for (absl::string_view group : groups) {
    if (!IsNotationGroup(group, &has_letter)) {
      return Invalid(field, absl::StrCat("\"", notation,
                                         "\" is not groups of letters and digits, each "
                                         "starting with a capital or a digit, separated by "
                                         "'-' or '/' (like \"QĐ-UBND\")"));
    }
  }
  if (groups.size() > static_cast<size_t>(kMaxNotationGroups)) {
    return Invalid(field, absl::StrCat("has more than ", kMaxNotationGroups, " groups"));
  }
  if (!has_letter) {
    return Invalid(field, absl::StrCat("\"", notation, "\" has no letter"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDocumentDate(absl::string_view date, absl::string_view field) {
  if (date.empty()) return Invalid(field, "is required");
  identifiers::CivilDate parsed;
  if (date.size() != 10 || date[4] != '-' || date[7] != '-' || !IsDigits(date.substr(0, 4)) ||
      !IsDigits(date.substr(5, 2)) || !IsDigits(date.substr(8, 2)) ||
      !absl::SimpleAtoi(date.substr(0, 4), &parsed.year) ||
      !absl::SimpleAtoi(date.substr(5, 2), &parsed.month) ||
      !absl::SimpleAtoi(date.substr(8, 2), &parsed.day)) {
    return Invalid(field, absl::StrCat("\"", date, "\" is not a date YYYY-MM-DD"));
  }
  if (absl::Status valid = identifiers::ValidateCivilDate(parsed, field); !valid.ok()) {
    return valid;
  }
  if (parsed.year < kMinPromulgationYear) {
    return Invalid(field, absl::StrCat(date, " is before ", kMinPromulgationYear));
  }
  return absl::OkStatus();
}

absl::Status ValidateContentType(absl::string_view content_type, absl::string_view field) {
  if (content_type.empty()) return Invalid(field, "is required");
  const size_t slash = content_type.find('/');
  const absl::string_view type = content_type.substr(0, slash);
  if (slash == absl::string_view::npos ||
      TopLevelMediaTypes().count(absl::AsciiStrToLower(type)) == 0 ||
      !IsRestrictedName(content_type.substr(slash + 1))) {
    return Invalid(field, absl::StrCat("\"", content_type,
                                       "\" is not a MIME type like \"application/pdf\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateFileName(absl::string_view file_name, absl::string_view field) {
  if (file_name.empty()) return Invalid(field, "is required");
  if (file_name.size() > kMaxFileNameLength) {
    return Invalid(field, absl::StrCat("is longer than ", kMaxFileNameLength, " bytes"));
  }
  if (file_name == "." || file_name == "..") {
    return Invalid(field, absl::StrCat("\"", file_name, "\" is not a file name"));
  }
  for (char c : file_name) {
    if (c == '/' || c == '\\' || absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return Invalid(field, "must not contain '/', '\\' or control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageId(absl::string_view message_id, absl::string_view field) {
  if (message_id.empty()) return Invalid(field, "is required");
  if (message_id.size() > kMaxMessageIdLength) {
    return Invalid(field, absl::StrCat("is longer than ", kMaxMessageIdLength, " characters"));
  }
  for (char c : message_id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view("._:-").find(c) == absl::string_view::npos) {
      return Invalid(field, "may contain only letters, digits and '.', '_', ':', '-'");
    }
  }
  return absl::OkStatus();
}

void ValidateSendDocumentRequest(const v1::SendDocumentRequest& request,
                                 FieldViolations* violations) {
  violations->Check("message_id", ValidateMessageId(request.message_id(), "message_id"));
  if (!request.has_envelope()) {
    violations->Add("envelope", "is required");
    return;
  }
  const v1::Envelope& envelope = request.envelope();
  violations->Check("envelope.from_agency",
                    identifiers::ValidateAgencyCode(envelope.from_agency(),
                                                    "envelope.from_agency"));
  ValidateRecipients(envelope, violations);
  violations->Check("envelope.code_number",
                    ValidateCodeNumber(envelope.code_number(), "envelope.code_number"));
  violations->Check("envelope.code_notation",
                    ValidateCodeNotation(envelope.code_notation(), "envelope.code_notation"));
  CheckRequiredText(violations, "envelope.promulgation_place", envelope.promulgation_place(),
                    kMaxNameLength);
  violations->Check("envelope.promulgation_date",
                    ValidateDocumentDate(envelope.promulgation_date(),
                                         "envelope.promulgation_date"));
  if (envelope.document_type() == v1::DOCUMENT_TYPE_UNSPECIFIED ||
      !v1::DocumentType_IsValid(envelope.document_type())) {
    violations->Add("envelope.document_type",
                    absl::StrCat("must be a known document type, got ",
                                 static_cast<int>(envelope.document_type())));
  }
  CheckRequiredText(violations, "envelope.subject", envelope.subject(), kMaxTextLength);
  CheckRequiredText(violations, "envelope.signer.full_name", envelope.signer().full_name(),
                    kMaxNameLength);
  CheckRequiredText(violations, "envelope.signer.position", envelope.signer().position(),
                    kMaxNameLength);
  if (envelope.priority() > kMaxPriority) {
    violations->Add("envelope.priority", absl::StrCat("must be 0..", kMaxPriority, ", got ",
                                                      envelope.priority()));
  }
  ValidateAttachments(envelope, violations);
}

std::string DocumentCode(const v1::Envelope& envelope) {
  return absl::StrCat(envelope.code_number(), "/", envelope.code_notation());
}

std::string DocumentIdFromRow(int64_t row) {
  return absl::StrFormat("%s%012d", kDocumentIdPrefix, row);
}

absl::StatusOr<int64_t> RowFromDocumentId(absl::string_view document_id,
                                          absl::string_view field) {
  if (document_id.empty()) return Invalid(field, "is required");
  absl::string_view digits = document_id;
  int64_t row = 0;
  if (!absl::ConsumePrefix(&digits, kDocumentIdPrefix) ||
      digits.size() != kDocumentIdDigits || !IsDigits(digits) ||
      !absl::SimpleAtoi(digits, &row) || row <= 0) {
    return Invalid(field, absl::StrCat("\"", document_id,
                                       "\" is not a document id (\"DOC-\" and 12 digits)"));
  }
  return row;
}

absl::string_view DeliveryStatusName(v1::DeliveryStatus status) {
  switch (status) {
    case v1::DELIVERY_STATUS_ARRIVED: return "ARRIVED";
    case v1::DELIVERY_STATUS_REJECTED: return "REJECTED";
    case v1::DELIVERY_STATUS_ACCEPTED: return "ACCEPTED";
    case v1::DELIVERY_STATUS_ASSIGNED: return "ASSIGNED";
    case v1::DELIVERY_STATUS_PROCESSING: return "PROCESSING";
    case v1::DELIVERY_STATUS_FINISHED: return "FINISHED";
    default: return "UNSPECIFIED";
  }
}

absl::Status CheckStatusTransition(v1::DeliveryStatus from, v1::DeliveryStatus to) {
  bool allowed = false;
  switch (from) {
    case v1::DELIVERY_STATUS_ARRIVED:
      allowed = to == v1::DELIVERY_STATUS_REJECTED || to == v1::DELIVERY_STATUS_ACCEPTED;
      break;
    case v1::DELIVERY_STATUS_ACCEPTED:
      allowed = to == v1::DELIVERY_STATUS_ASSIGNED;
      break;
    case v1::DELIVERY_STATUS_ASSIGNED:
      allowed = to == v1::DELIVERY_STATUS_PROCESSING;
      break;
    case v1::DELIVERY_STATUS_PROCESSING:
      allowed = to == v1::DELIVERY_STATUS_FINISHED;
      break;
    default:  // REJECTED and FINISHED are final
      break;
  }
  if (allowed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("a delivery cannot go from ",
                                                    DeliveryStatusName(from), " to ",
                                                    DeliveryStatusName(to)));
}

void ValidateReportStatusRequest(const v1::ReportStatusRequest& request,
                                 FieldViolations* violations) {
  violations->Check("document_id", RowFromDocumentId(request.document_id()).status());
  const v1::DeliveryStatus status = request.status();
  if (!v1::DeliveryStatus_IsValid(status) || status == v1::DELIVERY_STATUS_UNSPECIFIED ||
      status == v1::DELIVERY_STATUS_ARRIVED) {
    violations->Add("status", absl::StrCat("must be a status a recipient reports "
                                           "(REJECTED, ACCEPTED, ASSIGNED, PROCESSING, "
                                           "FINISHED), got ",
                                           static_cast<int>(status)));
  }
  if (request.reason().size() > kMaxTextLength) {
    violations->Add("reason", absl::StrCat("is longer than ", kMaxTextLength, " bytes"));
  } else if (status == v1::DELIVERY_STATUS_REJECTED && request.reason().empty()) {
    violations->Add("reason", "is required when rejecting a document");
  }
}

}  // namespace ndxp::documents
