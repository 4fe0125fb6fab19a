#!/usr/bin/env python3
"""A demo exchange through a running local federation (see `make run`).

A tax office (identity `demo`) checks a citizen record it holds against the
population database through the hub, reads a minimised record, lists the
citizen's relatives (a server stream); then the calls the hub must refuse.
Then the interlinked birth registration: a commune's civil registration
office (identity `registrar`) registers a newborn with civil status, which
asks residents for a personal ID number and insurance for the child's
health-insurance card, both through the hub; the tax office then finds the
child in both registers, searches the business registry (a server stream)
and sends an official document to the land agency.
Last, the province: a commune office of province H11, holding a certificate
of the province's own CA, reads the national population registry through
its province hub, which peers with the national hub; both hubs record the
call, the national one under the commune's name and via the province hub.
Every call goes over mutual TLS with stubs generated from proto/.
"""

import argparse
import datetime
import json
import os
import sqlite3
import subprocess
import sys
import time

import grpc
from google.protobuf import text_format

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ndxp_client import connect, connect_as, field_violations, generate_stubs  # noqa: E402

PURPOSE = [("x-ndxp-purpose", "tax assessment 2026, Law on Tax Administration art. 30")]


def sample_citizen(database):
    """A record the tax office already holds: taken from the synthetic data set."""
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        row = db.execute(
            "SELECT personal_id, full_name, birth_date, sex FROM citizens "
            "WHERE father_id IS NOT NULL AND death_date IS NULL "
            "ORDER BY personal_id LIMIT 1").fetchone()
    if row is None:
        sys.exit("demo: the residents database holds no citizen")
    return row


def describe(answer):
    """One readable line for an answer or an error message."""
    if isinstance(answer, str):
        return answer
    if answer.DESCRIPTOR.name == "VerifyCitizenResponse":
        mark = lambda flag: "match" if flag else "MISMATCH"
        return "found=%s name=%s birth date=%s sex=%s" % (
            answer.found, mark(answer.full_name_match), mark(answer.date_of_birth_match),
            mark(answer.sex_match))
    return text_format.MessageToString(answer, as_utf8=True, as_one_line=True)


class Exchange:
    def __init__(self):
        self.rows = []

    def call(self, title, identity, method, expected, invoke):
        started = time.perf_counter()
        request_id = "-"
        try:
            answer, call = invoke()
            code = grpc.StatusCode.OK
            detail = answer
            for key, value in call.initial_metadata():
                if key == "x-ndxp-request-id":
                    request_id = value[:8] + "…"
        except grpc.RpcError as error:
            code = error.code()
            detail = error.details()
            violations = field_violations(error)
            if violations:
                detail += "  [BadRequest: %s]" % ", ".join(
                    "%s: %s" % violation for violation in violations)
        millis = (time.perf_counter() - started) * 1000
        ok = code == expected
        self.rows.append((ok, title, identity, method, code.name, millis, request_id))
        print("%s %-50s %-13s %-22s -> %s (%.1f ms)" % (
            "✔" if ok else "✘", title, identity, method, code.name, millis))
        print("      %s" % describe(detail)[:150])
        return ok


def young_parents(database):
    """A living couple with a child: the parents of the demo's newborn."""
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        row = db.execute(
            "SELECT f.personal_id, f.full_name, m.personal_id, m.full_name, f.birth_province_code "
            "FROM citizens c JOIN citizens f ON c.father_id = f.personal_id "
            "JOIN citizens m ON c.mother_id = m.personal_id "
            "WHERE f.death_date IS NULL AND m.death_date IS NULL "
            "ORDER BY m.birth_date DESC, c.personal_id LIMIT 1").fetchone()
    if row is None:
        sys.exit("demo: the residents database holds no living couple")
    return row


def common_name_word(database):
    """The commonest first word of enterprise names (after the legal form)."""
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        return db.execute(
            "SELECT substr(search_key, 1, instr(search_key || ' ', ' ') - 1) AS word "
            "FROM enterprises GROUP BY word ORDER BY COUNT(*) DESC, word LIMIT 1").fetchone()[0]


def birth_registration(ex, stubs, endpoints):
    """The interlinked procedure and what the other agencies then see."""
    res, ins, civ = stubs.residents_pb2, stubs.insurance_pb2, stubs.civil_status_pb2
    biz, doc = stubs.business_pb2, stubs.documents_pb2
    registrar_channel = connect_as(endpoints, "registrar")
    demo_channel = connect_as(endpoints, "demo")
    civil = stubs.civil_status_pb2_grpc.CivilStatusRegistryStub(registrar_channel)
    residents = stubs.residents_pb2_grpc.ResidentRegistryStub(demo_channel)
    insurance = stubs.insurance_pb2_grpc.InsuranceRegistryStub(demo_channel)
    business = stubs.business_pb2_grpc.BusinessRegistryStub(demo_channel)
    documents = stubs.documents_pb2_grpc.DocumentExchangeStub(demo_channel)
    OK, INVALID = grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT

    father_id, father, mother_id, mother, province = young_parents(
        endpoints["connectors"]["residents"]["database"])
    today = datetime.date.today()
    surname = father.split(" ")[0]
    request = civ.RegisterBirthRequest(
        request_id="demo-birth-%s" % today.strftime("%Y%m%d"),
        child_full_name="%s Minh An" % surname,
        date_of_birth=res.Date(year=today.year, month=today.month, day=today.day),
        sex=res.SEX_FEMALE, birth_province_code=province,
        father_personal_id=father_id, mother_personal_id=mother_id,
        registration_office="UBND phường Ba Đình")
    print("\nThe interlinked birth registration (%s and %s have a daughter):" % (father, mother))
    child = {}

    def register():
        answer, call = civil.RegisterBirth.with_call(request, metadata=PURPOSE, timeout=30)
        registration = answer.registration
        child.update(personal_id=registration.personal_id)
        return ("birth certificate %s, personal ID %s, health-insurance card %s (%s)" % (
            registration.certificate_number.formatted, registration.personal_id,
            registration.health_insurance_card_code,
            civ.BirthRegistrationState.Name(registration.state)), call)

    def register_again():
        answer, call = civil.RegisterBirth.with_call(request, metadata=PURPOSE, timeout=30)
        same = answer.registration.personal_id == child.get("personal_id")
        return ("same registration returned (newly_completed=%s, same personal ID: %s)"
                % (answer.newly_completed, same), call)

    def child_in_residents():
        lookup = res.GetCitizenRequest(personal_id=child.get("personal_id", ""))
        lookup.read_mask.paths.extend(["full_name", "date_of_birth", "father_personal_id",
                                       "mother_personal_id"])
        return residents.GetCitizen.with_call(lookup, metadata=PURPOSE, timeout=10)

    def child_in_insurance():
        lookup = ins.GetInsuredPersonRequest(personal_id=child.get("personal_id", ""))
        return insurance.GetInsuredPerson.with_call(lookup, metadata=PURPOSE, timeout=10)

    def bad_card_lookup():
        lookup = ins.GetInsuredPersonRequest(social_insurance_code="99123")
        return insurance.GetInsuredPerson.with_call(lookup, metadata=PURPOSE, timeout=10)

    def search_business():
        prefix = common_name_word(endpoints["connectors"]["business"]["database"])
        call = business.SearchEnterprises(
            biz.SearchEnterprisesRequest(name_prefix=prefix, max_results=5),
            metadata=PURPOSE, timeout=10)
        names = [summary.name for summary in call]
        return "'%s': %d enterprises streamed: %s" % (prefix, len(names), "; ".join(names[:2])), call

    def send_document():
        sent = doc.SendDocumentRequest(
            message_id="demo-letter-%s" % today.strftime("%Y%m%d"),
            envelope=doc.Envelope(
                from_agency="000.00.00.G12", to_agencies=["000.00.00.G15"],
                code_number="15", code_notation="CT-TTHT", promulgation_place="Hà Nội",
                promulgation_date=today.isoformat(),
                document_type=doc.DOCUMENT_TYPE_OFFICIAL_LETTER,
                subject="Đề nghị cung cấp thông tin thửa đất phục vụ tính thuế",
                signer=doc.Signer(full_name="Trần Văn Bình", position="Cục trưởng"),
                priority=2))
        return documents.SendDocument.with_call(sent, timeout=10)

    ex.call("register a birth (→ residents, insurance)", "registrar",
            "RegisterBirth", OK, register)
    ex.call("retry with the same request id (idempotent)", "registrar", "RegisterBirth", OK,
            register_again)
    ex.call("the child in the population database", "demo", "GetCitizen", OK,
            child_in_residents)
    ex.call("the child's health-insurance card", "demo", "GetInsuredPerson", OK,
            child_in_insurance)
    ex.call("search the business registry (stream)", "demo", "SearchEnterprises", OK,
            search_business)
    ex.call("send an official letter to the land agency", "demo", "SendDocument", OK,
            send_document)
    ex.call("a malformed social insurance code", "demo", "GetInsuredPerson", INVALID,
            bad_card_lookup)


def province_exchange(ex, stubs, endpoints, personal_id):
    """The commune office -> province hub -> national hub -> residents."""
    province = endpoints.get("province")
    if not province:
        return
    pb, pb_grpc = stubs.residents_pb2, stubs.residents_pb2_grpc
    commune = province["identities"]["commune"]
    # The province hub's CA (its certificate is the national CA's); the
    # commune's certificate is the province CA's (members_ca).
    stub = pb_grpc.ResidentRegistryStub(
        connect(province["hub"], province["ca"], commune["cert"], commune["key"]))
    purpose = [("x-ndxp-purpose", "birth registration, Law on Civil Status art. 16")]
    print("\nA province's commune office, through its province hub %s:" % province["hub"])

    def get():
        request = pb.GetCitizenRequest(personal_id=personal_id)
        request.read_mask.paths.extend(["full_name", "date_of_birth"])
        return stub.GetCitizen.with_call(request, metadata=purpose, timeout=10)

    def ungranted():
        request = pb.IssuePersonalIdRequest(request_id="commune-1", full_name="Hà Thị Bé")
        return stub.IssuePersonalId.with_call(request, metadata=purpose, timeout=10)

    ex.call("read a citizen in the national registry", "commune", "GetCitizen",
            grpc.StatusCode.OK, get)
    ex.call("a method the province never granted", "commune", "IssuePersonalId",
            grpc.StatusCode.PERMISSION_DENIED, ungranted)
    for title, database in (("province hub", province["hub_database"]),
                            ("national hub", endpoints["hub_database"])):
        with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
            row = db.execute("SELECT consumer, via, service, method, status_code FROM audit_log "
                             "WHERE consumer LIKE '%H11%' AND refusal = '' "
                             "ORDER BY seq DESC LIMIT 1").fetchone()
        if row:
            print("  the %s recorded: consumer %s%s, %s/%s, status %d"
                  % (title, row[0], ", via " + row[1] if row[1] else "", row[2], row[3], row[4]))


def show_recording(endpoints):
    """What the hub recorded: today's counters and the audit chain's state."""
    database = endpoints.get("hub_database")
    if not database or not os.path.exists(database):
        return
    with sqlite3.connect("file:%s?mode=ro" % database, uri=True) as db:
        rows = db.execute("SELECT day, consumer, method, status_code, count FROM counters "
                          "ORDER BY day DESC, count DESC LIMIT 6").fetchall()
        total = db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
    print("\nThe hub recorded every forwarded call (%d transactions in its audit log):" % total)
    status_names = {code.value[0]: code.name for code in grpc.StatusCode}
    for day, consumer, method, status, count in rows:
        print("  %s  %-26s %-16s %-18s %6d" % (day, consumer, method, status_names[status], count))
    ndxpctl = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "build", "bin", "ndxpctl")
    if os.access(ndxpctl, os.X_OK):
        result = subprocess.run([ndxpctl, "audit", "verify", "--database", database],
                                capture_output=True, text=True)
        print("  " + (result.stdout or result.stderr).strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoints", required=True, help="the federation's endpoints.json")
    args = parser.parse_args()
    with open(args.endpoints) as f:
        endpoints = json.load(f)

    state = os.path.dirname(os.path.abspath(args.endpoints))
    stubs = generate_stubs(os.path.join(state, "python-stubs"))
    pb, pb_grpc = stubs.residents_pb2, stubs.residents_pb2_grpc
    demo = pb_grpc.ResidentRegistryStub(connect_as(endpoints, "demo"))
    stranger = pb_grpc.ResidentRegistryStub(connect_as(endpoints, "unauthorized"))

    personal_id, name, birth, sex = sample_citizen(endpoints["connectors"]["residents"]["database"])
    year, month, day = (int(part) for part in birth.split("-"))
    sex_value = pb.SEX_MALE if sex == "M" else pb.SEX_FEMALE
    print("ndxp demo: hub %s, a tax office checks citizen %s (%s, born %s)\n"
          % (endpoints["hub"], personal_id, name, birth))

    def verify(stub, full_name, dob_day, metadata=()):
        request = pb.VerifyCitizenRequest(
            personal_id=personal_id, full_name=full_name,
            date_of_birth=pb.Date(year=year, month=month, day=dob_day), sex=sex_value)
        return lambda: stub.VerifyCitizen.with_call(request, metadata=metadata, timeout=10)

    def get(stub, pid, metadata):
        request = pb.GetCitizenRequest(personal_id=pid)
        request.read_mask.paths.extend(["full_name", "date_of_birth", "birth_province_name"])
        return lambda: stub.GetCitizen.with_call(request, metadata=metadata, timeout=10)

    def relatives():
        call = demo.ListRelatives(pb.ListRelativesRequest(personal_id=personal_id),
                                  metadata=PURPOSE, timeout=10)
        names = ["%s %s" % (pb.Relation.Name(r.relation).split("_")[1].lower(), r.full_name)
                 for r in call]
        return ", ".join(names) or "(none)", call

    def issue():
        request = pb.IssuePersonalIdRequest(request_id="demo-1", full_name="Nguyễn Văn Bé")
        return demo.IssuePersonalId.with_call(request, metadata=PURPOSE, timeout=10)

    wrong_day = day % 28 + 1
    ex = Exchange()
    OK, DENIED = grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED
    INVALID = grpc.StatusCode.INVALID_ARGUMENT
    print("What the hub carries:")
    ex.call("verify the record as held", "demo", "VerifyCitizen", OK,
            verify(demo, name, day, PURPOSE))
    ex.call("verify a record with a wrong birth day", "demo", "VerifyCitizen", OK,
            verify(demo, name, wrong_day, PURPOSE))
    ex.call("read only name, birth date, province", "demo", "GetCitizen", OK,
            get(demo, personal_id, PURPOSE))
    ex.call("list relatives (server stream)", "demo", "ListRelatives", OK, relatives)
    print("\nWhat the hub refuses:")
    ex.call("a malformed personal ID", "demo", "GetCitizen", INVALID,
            get(demo, personal_id[:-1], PURPOSE))
    ex.call("personal data without a declared purpose", "demo", "GetCitizen", INVALID,
            get(demo, personal_id, ()))
    ex.call("a method the tax office was not granted", "demo", "IssuePersonalId", DENIED, issue)
    ex.call("a member with no access rights", "unauthorized", "VerifyCitizen", DENIED,
            verify(stranger, name, day, PURPOSE))

    birth_registration(ex, stubs, endpoints)
    province_exchange(ex, stubs, endpoints, personal_id)

    passed = sum(1 for row in ex.rows if row[0])
    print("\nSummary: %d of %d exchanges behaved as the contract says." % (passed, len(ex.rows)))
    print("Connector access log: %s (who read whose data, for what purpose)"
          % endpoints["connectors"]["residents"]["database"])
    show_recording(endpoints)
    return 0 if passed == len(ex.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
