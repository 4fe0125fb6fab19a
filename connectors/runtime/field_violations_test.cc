#include "connectors/runtime/field_violations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status/status_util.h"

namespace ndxp::connectors {
namespace {

using ::testing::HasSubstr;

TEST(FieldViolationsTest, NothingRecordedIsOk) {
  FieldViolations violations;
  violations.Check("personal_id", absl::OkStatus());
  EXPECT_TRUE(violations.empty());
  EXPECT_TRUE(violations.ToStatus().ok());
}

TEST(FieldViolationsTest, EveryViolationIsInTheMessageAndTheBadRequest) {
  FieldViolations violations;
  violations.Check("personal_id", absl::InvalidArgumentError("must be 12 digits"));
  violations.Add("full_name", "is required");
  absl::Status status = violations.ToStatus();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "personal_id: must be 12 digits; full_name: is required");
  std::optional<google::rpc::BadRequest> bad_request = BadRequestOf(status);
  ASSERT_TRUE(bad_request.has_value());
  ASSERT_EQ(bad_request->field_violations_size(), 2);
  EXPECT_EQ(bad_request->field_violations(0).field(), "personal_id");
  EXPECT_EQ(bad_request->field_violations(0).description(), "must be 12 digits");
  EXPECT_EQ(bad_request->field_violations(1).field(), "full_name");
}

TEST(FieldViolationsTest, ValidatorMessageNamingTheFieldIsNotRepeated) {
  FieldViolations violations;
  violations.Check("father_personal_id",
                   absl::InvalidArgumentError("father_personal_id: must be 12 digits"));
  violations.Check("sex", absl::InvalidArgumentError("personal_id: says female"));
  EXPECT_EQ(violations.bad_request().field_violations(0).description(), "must be 12 digits");
  EXPECT_EQ(violations.bad_request().field_violations(1).description(),
            "personal_id: says female");
}

TEST(FieldViolationsTest, BadRequestSurvivesTheTripThroughGrpcStatus) {
  grpc::Status wire = ToGrpcStatus(InvalidField("items[3].code", "check digit is wrong"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(wire.error_message(), "items[3].code: check digit is wrong");
  std::optional<google::rpc::BadRequest> client_side = BadRequestOf(wire);
  ASSERT_TRUE(client_side.has_value());
  EXPECT_EQ(client_side->field_violations(0).field(), "items[3].code");

  absl::Status back = FromGrpcStatus(wire, "land GetParcel");
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(back.message()), HasSubstr("land GetParcel: items[3].code"));
  ASSERT_TRUE(BadRequestOf(back).has_value());
}

TEST(FieldViolationsTest, StatusWithoutPayloadHasNoDetails) {
  grpc::Status wire = ToGrpcStatus(absl::NotFoundError("no such parcel"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(wire.error_details().empty());
  EXPECT_FALSE(BadRequestOf(wire).has_value());
}

}  // namespace
}  // namespace ndxp::connectors
