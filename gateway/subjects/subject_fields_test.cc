#include "gateway/subjects/subject_fields.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/json/test_pool.h"
#include "gateway/subjects/subject_extractor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ndxp/v1/options.pb.h"

namespace ndxp::gateway::subjects {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptorProto;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The routed services as the hub loads them: services.binpb at run time.
class ServicesSubjectFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(pool_, nullptr) << NDXP_DESCRIPTOR_SET; }

  SubjectFields OfMethod(const std::string& service, const std::string& method) {
    const auto* found = pool_->FindMethodByName(service + "." + method);
    EXPECT_NE(found, nullptr) << service << "." << method;
    return found == nullptr ? SubjectFields{} : FindSubjectFields(*found->input_type());
  }

  std::unique_ptr<DescriptorPool> pool_ = json::LoadTestPool();
};

TEST_F(ServicesSubjectFieldsTest, TheMarkIsAKnownExtensionOfTheLoadedOptions) {
  const auto* field = pool_->FindFieldByName("ndxp.residents.v1.GetCitizenRequest.personal_id");
  ASSERT_NE(field, nullptr);
  EXPECT_TRUE(field->options().GetExtension(ndxp::v1::data_subject));
  // Parsed as the extension, not kept as an unknown field of FieldOptions.
  EXPECT_TRUE(field->options().unknown_fields().empty());
  EXPECT_NE(pool_->FindFileByName("ndxp/v1/options.proto"), nullptr);
}

TEST_F(ServicesSubjectFieldsTest, ResidentsMethods) {
  const std::string residents = "ndxp.residents.v1.ResidentRegistry";
  EXPECT_THAT(OfMethod(residents, "VerifyCitizen").paths, ElementsAre(FieldPath{1}));
  EXPECT_THAT(OfMethod(residents, "BatchVerifyCitizens").paths, ElementsAre(FieldPath{1}));
  EXPECT_THAT(OfMethod(residents, "GetCitizen").paths, ElementsAre(FieldPath{1}));
  // The parents of the child (who has no number yet).
  EXPECT_THAT(OfMethod(residents, "IssuePersonalId").paths,
              ElementsAre(FieldPath{6}, FieldPath{7}));
  EXPECT_THAT(OfMethod(residents, "ListRelatives").paths, ElementsAre(FieldPath{1}));
  EXPECT_THAT(OfMethod(residents, "RecordDeath").paths, ElementsAre(FieldPath{1}));
}

TEST_F(ServicesSubjectFieldsTest, CivilStatusMethods) {
  const std::string civil_status = "ndxp.civil_status.v1.CivilStatusRegistry";
  EXPECT_THAT(OfMethod(civil_status, "RegisterBirth").paths,
              ElementsAre(FieldPath{6}, FieldPath{7}));
  EXPECT_THAT(OfMethod(civil_status, "RegisterMarriage").paths,
              ElementsAre(FieldPath{2}, FieldPath{3}));
  EXPECT_THAT(OfMethod(civil_status, "RegisterDeath").paths, ElementsAre(FieldPath{2}));
  // By request_id only: no personal ID number in the request.
  EXPECT_THAT(OfMethod(civil_status, "GetBirthRegistration").paths, IsEmpty());
}

TEST_F(ServicesSubjectFieldsTest, InsuranceAndLandMethods) {
  const std::string insurance = "ndxp.insurance.v1.InsuranceRegistry";
  EXPECT_THAT(OfMethod(insurance, "GetInsuredPerson").paths, ElementsAre(FieldPath{1}));
  EXPECT_THAT(OfMethod(insurance, "IssueChildHealthCard").paths, ElementsAre(FieldPath{2}));
  EXPECT_THAT(OfMethod(insurance, "VerifyAgainstPopulation").paths, IsEmpty());
  const std::string land = "ndxp.land.v1.LandRegistry";
  // transferors (3) and transferees (4), repeated Party, personal_id (1).
  EXPECT_THAT(OfMethod(land, "AssessTransferObligations").paths,
              ElementsAre(FieldPath{3, 1}, FieldPath{4, 1}));
  EXPECT_THAT(OfMethod(land, "GetParcel").paths, IsEmpty());
}

TEST_F(ServicesSubjectFieldsTest, NoResponseOfTheseServicesIsMarked) {
  for (const char* name : {"ndxp.residents.v1.ResidentRegistry",
                           "ndxp.civil_status.v1.CivilStatusRegistry",
                           "ndxp.insurance.v1.InsuranceRegistry",
                           "ndxp.documents.v1.DocumentExchange"}) {
    const auto* service = pool_->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const SubjectFields fields = FindSubjectFields(*service->method(i)->output_type());
      EXPECT_THAT(fields.paths, IsEmpty()) << service->method(i)->full_name();
      EXPECT_FALSE(fields.incomplete);
    }
  }
}

// Messages made up for the cases the services do not have: a pool built as
// the hub's is (from FileDescriptorProtos), importing options.proto.
class MadeUpSubjectFieldsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"google/protobuf/descriptor.proto", "ndxp/v1/options.proto"}) {
      google::protobuf::FileDescriptorProto file;
      DescriptorPool::generated_pool()->FindFileByName(name)->CopyTo(&file);
      ASSERT_NE(pool_.BuildFile(file), nullptr) << name;
    }
    file_.set_name("made_up.proto");
    file_.set_package("made_up");
    file_.set_syntax("proto3");
    file_.add_dependency("ndxp/v1/options.proto");
  }

  google::protobuf::DescriptorProto* Message(const std::string& name) {
    auto* message = file_.add_message_type();
    message->set_name(name);
    return message;
  }

  static void Field(google::protobuf::DescriptorProto* message, const std::string& name,
                    int number, FieldDescriptorProto::Type type,
                    const std::string& type_name = "", bool subject = false,
                    bool repeated = false) {
    FieldDescriptorProto* field = message->add_field();
    field->set_name(name);
    field->set_number(number);
    field->set_type(type);
    field->set_label(repeated ? FieldDescriptorProto::LABEL_REPEATED
                              : FieldDescriptorProto::LABEL_OPTIONAL);
    if (!type_name.empty()) field->set_type_name(type_name);
    if (subject) field->mutable_options()->SetExtension(ndxp::v1::data_subject, true);
  }

  SubjectFields Of(const std::string& message) {
    if (pool_.FindFileByName(file_.name()) == nullptr) {
      EXPECT_NE(pool_.BuildFile(file_), nullptr);
    }
    const auto* found = pool_.FindMessageTypeByName("made_up." + message);
    EXPECT_NE(found, nullptr) << message;
    return found == nullptr ? SubjectFields{} : FindSubjectFields(*found);
  }

  DescriptorPool pool_;
  google::protobuf::FileDescriptorProto file_;
};

constexpr auto kString = FieldDescriptorProto::TYPE_STRING;
constexpr auto kMessage = FieldDescriptorProto::TYPE_MESSAGE;

TEST_F(MadeUpSubjectFieldsTest, NestedAndRepeatedMessagesInDeclarationOrder) {
  auto* person = Message("Person");
  Field(person, "name", 1, kString);
  Field(person, "id", 2, kString, "", /*subject=*/true);
  Field(person, "former_ids", 3, kString, "", /*subject=*/true, /*repeated=*/true);
  auto* request = Message("Request");
  Field(request, "subject", 5, kString, "", /*subject=*/true);
  Field(request, "people", 2, kMessage, ".made_up.Person", false, /*repeated=*/true);
  Field(request, "witness", 9, kMessage, ".made_up.Person");
  const SubjectFields fields = Of("Request");
  EXPECT_THAT(fields.paths, ElementsAre(FieldPath{5}, FieldPath{2, 2}, FieldPath{2, 3},
                                        FieldPath{9, 2}, FieldPath{9, 3}));
  EXPECT_FALSE(fields.incomplete);
}

TEST_F(MadeUpSubjectFieldsTest, OnlyAStringFieldsMarkCounts) {
  auto* request = Message("Request");
  Field(request, "id", 1, FieldDescriptorProto::TYPE_INT64, "", /*subject=*/true);
  Field(request, "raw", 2, FieldDescriptorProto::TYPE_BYTES, "", /*subject=*/true);
  Field(request, "unmarked", 3, kString);
  EXPECT_THAT(Of("Request").paths, IsEmpty());
}

TEST_F(MadeUpSubjectFieldsTest, ARecursiveMessageIsLookedIntoOnce) {
  auto* person = Message("Person");
  Field(person, "id", 1, kString, "", /*subject=*/true);
  Field(person, "guardian", 2, kMessage, ".made_up.Person");
  Field(person, "children", 3, kMessage, ".made_up.Person", false, /*repeated=*/true);
  auto* request = Message("Request");
  Field(request, "person", 1, kMessage, ".made_up.Person");
  const SubjectFields fields = Of("Request");
  EXPECT_THAT(fields.paths, ElementsAre(FieldPath{1, 1}));
  EXPECT_TRUE(fields.incomplete);
  EXPECT_TRUE(
      SubjectExtractor::ForRequest(*pool_.FindMessageTypeByName("made_up.Request")).incomplete());
}

TEST_F(MadeUpSubjectFieldsTest, CyclesEndTheWalkIncompleteOnlyWhenAMarkLiesBeyond) {
  auto* a = Message("A");
  Field(a, "b", 1, kMessage, ".made_up.B");
  Field(a, "id", 2, kString, "", /*subject=*/true);
  auto* b = Message("B");
  Field(b, "a", 1, kMessage, ".made_up.A");
  Field(b, "c", 2, kMessage, ".made_up.C");
  auto* c = Message("C");
  Field(c, "b", 1, kMessage, ".made_up.B");
  // C.b -> B.a -> A.id; A.b (B again) and B.c (C again) are not looked
  // into, and a mark (A.id) lies beyond them.
  const SubjectFields from_c = Of("C");
  EXPECT_THAT(from_c.paths, ElementsAre(FieldPath{1, 1, 2}));
  EXPECT_TRUE(from_c.incomplete);
  // DescriptorProto nests DescriptorProtos, with no mark anywhere.
  const SubjectFields no_mark_below = FindSubjectFields(
      *pool_.FindMessageTypeByName("google.protobuf.DescriptorProto"));
  EXPECT_THAT(no_mark_below.paths, IsEmpty());
  EXPECT_FALSE(no_mark_below.incomplete);
}

TEST_F(MadeUpSubjectFieldsTest, PathsAreAtMostEightFieldsLong) {
  // Short: id at depth 8 (7 message fields, then the string). Long: depth 9.
  for (const auto& [name, levels] : std::map<std::string, int>{{"Short", 8}, {"Long", 9}}) {
    for (int i = 0; i < levels; ++i) {
      auto* level = Message(name + std::to_string(i));
      if (i + 1 < levels) {
        Field(level, "next", 4, kMessage, ".made_up." + name + std::to_string(i + 1));
      } else {
        Field(level, "id", 1, kString, "", /*subject=*/true);
      }
    }
  }
  const SubjectFields short_chain = Of("Short0");
  EXPECT_THAT(short_chain.paths, ElementsAre(FieldPath{4, 4, 4, 4, 4, 4, 4, 1}));
  EXPECT_FALSE(short_chain.incomplete);
  const SubjectFields long_chain = Of("Long0");
  EXPECT_THAT(long_chain.paths, IsEmpty());
  EXPECT_TRUE(long_chain.incomplete);
}

TEST_F(MadeUpSubjectFieldsTest, AMapsValuesAreLookedInto) {
  auto* person = Message("Person");
  Field(person, "id", 1, kString, "", /*subject=*/true);
  auto* request = Message("Request");
  auto* entry = request->add_nested_type();
  entry->set_name("ByRoleEntry");
  entry->mutable_options()->set_map_entry(true);
  Field(entry, "key", 1, kString);
  Field(entry, "value", 2, kMessage, ".made_up.Person");
  Field(request, "by_role", 3, kMessage, ".made_up.Request.ByRoleEntry", false,
        /*repeated=*/true);
  EXPECT_THAT(Of("Request").paths, ElementsAre(FieldPath{3, 2, 1}));
}

}  // namespace
}  // namespace ndxp::gateway::subjects
