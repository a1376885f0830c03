#!/usr/bin/env python3
"""Generate stdlib/native/cloudformation/*.infra from the CloudFormation
resource provider schemas bundled in cfn-lint (us-east-1).

Usage (run by hand, not by CI):

    ../shared/tools/cfn-setup            # once: /opt/cfn-venv with cfn-lint 1.58.0
    python3 tools/gen-schemas/gen_cloudformation.py [--cfnlint DIR]

DIR is the installed `cfnlint` package directory (default: found under
/opt/cfn-venv or $CFN_VENV).  Python 3 standard library only: the schemas are
read as JSON, cfn-lint is not imported.

Mapping (JSON schema -> Infra):
  string/integer/number/boolean -> string/int/number/bool
  array -> [T]; object with properties -> named type <Short><Name>;
  object with patternProperties / additionalProperties schema -> {string: T};
  other objects -> {string: any} ({} when additionalProperties is false);
  several types or no type -> any; recursive $ref -> any.
  property: every entry of `properties` that is not a top-level
  readOnlyProperty; required from `required`.
  attribute: every readOnlyProperty pointer (nested ones as "A.B", the
  Fn::GetAtt spelling), except pointers into arrays ("*") and object
  containers whose own members are listed.
  snapshot = true: cfn-lint's valid_snapshot_types.
  replaced_by = [...]: the top-level createOnlyProperties (a change makes
  CloudFormation replace the resource), and REPLACES; may_replace = [...]:
  the conditionalCreateOnlyProperties and the top-level names of nested
  createOnlyProperties (a change may replace it).
  ref = "P": the single primaryIdentifier P (what cfn-lint takes Ref to
  return) when it is not an opaque id (name ends in "Id"); REF_OVERRIDES for
  multi-part identifiers.
"""

import argparse
import glob
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import infra_emit as ie  # noqa: E402

# Types holding data / messages (see LANGUAGE.md, "State classes").
STATE = {
    "AWS::EC2::Volume": "persistent",
    "AWS::S3::Bucket": "persistent",
    "AWS::Route53::HostedZone": "persistent",
    "AWS::RDS::DBInstance": "persistent",
    "AWS::SecretsManager::Secret": "persistent",
    "AWS::KMS::Key": "persistent",
    "AWS::Logs::LogGroup": "persistent",
    "AWS::SQS::Queue": "volatile",
}

# Facts the resource schemas do not state, written as settings (see
# infra_emit.fact_settings): which properties hold IPv4 network blocks that
# EC2 checks when the stack is deployed, how subnets nest in VPCs (a VPC may
# hold subnets in the secondary blocks a VPCCidrBlock gives it), and which
# attributes Fn::GetAtt returns as lists (from the CloudFormation resource
# reference, "Return values"), and where a type takes the machine image it
# boots from (`image`, a path: `.name` a field of an object), which the
# CloudFormation backend checks is an AMI id (E0517, W0515); and
# `id_param`, the AWS-specific parameter type a parameter holding the id
# of a resource of the type has (from the CloudFormation user guide,
# "Supported AWS-specific parameter types"), which an `existing`
# declaration gives the param holding its id.
FACTS = {
    "AWS::EC2::VPC": {
        "id_param": "AWS::EC2::VPC::Id",
        "cidr": ["CidrBlock"],
        "network": "CidrBlock",
        "secondary_blocks": True,
        "list_attributes": ["CidrBlockAssociations", "Ipv6CidrBlocks"],
    },
    "AWS::EC2::VPCCidrBlock": {"adds_cidr": True},
    "AWS::EC2::Instance": {"image": "ImageId", "id_param": "AWS::EC2::Instance::Id"},
    "AWS::EC2::KeyPair": {"id_param": "AWS::EC2::KeyPair::KeyName"},
    "AWS::EC2::Volume": {"id_param": "AWS::EC2::Volume::Id"},
    "AWS::EC2::LaunchTemplate": {"image": "LaunchTemplateData.ImageId"},
    "AWS::EC2::Subnet": {
        "id_param": "AWS::EC2::Subnet::Id",
        "cidr": ["CidrBlock"],
        "subnet": {"network": "VpcId", "cidr": "CidrBlock"},
        "list_attributes": ["Ipv6CidrBlocks"],
    },
    "AWS::EC2::Route": {"cidr": ["DestinationCidrBlock"]},
    "AWS::EC2::SecurityGroup": {
        "id_param": "AWS::EC2::SecurityGroup::Id",
        "cidr": ["SecurityGroupIngress[].CidrIp", "SecurityGroupEgress[].CidrIp"],
    },
    "AWS::EC2::SecurityGroupIngress": {"cidr": ["CidrIp"]},
    "AWS::EC2::SecurityGroupEgress": {"cidr": ["CidrIp"]},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {"list_attributes": ["SecurityGroups"]},
    "AWS::ElasticLoadBalancingV2::TargetGroup": {"list_attributes": ["LoadBalancerArns"]},
    "AWS::RDS::DBInstance": {
        "list_attributes": ["ReadReplicaDBClusterIdentifiers", "ReadReplicaDBInstanceIdentifiers"],
    },
    "AWS::Route53::HostedZone": {
        "list_attributes": ["NameServers"],
        "id_param": "AWS::Route53::HostedZone::Id",
    },
}

# Properties the schemas list as conditionalCreateOnlyProperties (a change
# "may" replace the resource) whose change replaces it in all but a case the
# schema's own description names: RDS converts an Oracle instance to the
# CDB architecture in place (oracle-ee -> oracle-ee-cdb, oracle-se2 ->
# oracle-se2-cdb); any other change of engine makes a new instance.
REPLACES = {
    "AWS::RDS::DBInstance": ["Engine"],
}

# What Ref returns where the primaryIdentifier has several parts (from the
# CloudFormation resource reference, "Return values").
REF_OVERRIDES = {
    "AWS::EC2::EIP": "PublicIp",
    "AWS::Route53::RecordSet": "Name",
}


def find_cfnlint(explicit):
    if explicit:
        return explicit
    venv = os.environ.get("CFN_VENV", "/opt/cfn-venv")
    hits = sorted(glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "cfnlint")))
    if not hits:
        sys.exit("cfn-lint not found under %s: run ../shared/tools/cfn-setup" % venv)
    return hits[-1]


def cfnlint_version(cfnlint_dir):
    path = os.path.join(cfnlint_dir, "version.py")
    with open(path, encoding="utf-8") as f:
        m = re.search(r"__version__\s*=\s*[\"']([^\"']+)", f.read())
    return m.group(1) if m else "unknown"


def snapshot_types(cfnlint_dir):
    with open(os.path.join(cfnlint_dir, "helpers.py"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"valid_snapshot_types\s*=\s*frozenset\(\s*\[(.*?)\]", text, re.S)
    if not m:
        sys.exit("valid_snapshot_types not found in cfnlint/helpers.py")
    return set(re.findall(r"\"([^\"]+)\"", m.group(1)))


class Converter:
    def __init__(self, schema, native):
        self.schema = schema
        self.defs = schema.get("definitions", {})
        self.short = schema["typeName"].split("::")[-1]
        self.native = native
        self.named = {}       # definition name -> (Infra type name, skipped fields)
        self.stack = []       # definitions being converted (recursion guard)
        self.read_only = set(schema.get("readOnlyProperties", []))

    # -- pointers
    def resolve(self, s):
        seen = 0
        while isinstance(s, dict) and "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/definitions/"):
                return {}
            s = self.defs.get(ref[len("#/definitions/"):], {})
            seen += 1
            if seen > 50:
                return {}
        return s

    def at_pointer(self, pointer):
        """The schema at /properties/A/B (through $refs and array items)."""
        parts = pointer.split("/")[2:]
        s = self.schema["properties"].get(parts[0], {})
        for p in parts[1:]:
            s = self.resolve(s)
            if p == "*":
                s = s.get("items", {})
                continue
            props = object_properties(s)
            if p not in props:
                return None
            s = props[p]
        return self.resolve(s)

    # -- types
    def convert(self, s, hint, path):
        """The Infra type of schema `s` found at JSON pointer `path`."""
        if "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/definitions/"):
                return ie.ANY
            name = ref[len("#/definitions/"):]
            target = self.defs.get(name)
            if target is None:
                return ie.ANY
            if name in self.stack:
                return ie.ANY  # recursive: cut with any
            self.stack.append(name)
            try:
                if object_properties(target) or is_closed_object(target):
                    return ("ref", self.named_object(name, target, path))
                return self.convert(target, name, path)
            finally:
                self.stack.pop()
        types = s.get("type")
        if isinstance(types, list):
            types = types[0] if len(types) == 1 else "several"
        if types is None:
            if "properties" in s:
                types = "object"
            elif "items" in s:
                types = "array"
        if types == "string":
            return ie.STRING
        if types == "integer":
            return ie.INT
        if types == "number":
            return ie.NUMBER
        if types == "boolean":
            return ie.BOOL
        if types == "array":
            items = s.get("items")
            if not isinstance(items, dict):
                return ("list", ie.ANY)
            return ("list", self.convert(items, hint, path + "/*"))
        if types == "object":
            if object_properties(s) or is_closed_object(s):
                return ("ref", self.inline_object(hint, s, path))
            pattern = s.get("patternProperties")
            if isinstance(pattern, dict) and pattern:
                values = list(pattern.values())
                if len(values) == 1:
                    return ("map", self.convert(values[0], hint + "Value", path + "/*"))
                return ("map", ie.ANY)
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                return ("map", self.convert(extra, hint + "Value", path + "/*"))
            return ("map", ie.ANY)
        return ie.ANY

    def prefixed(self, name):
        """<Short><Name>, without doubling a prefix the name already has."""
        name = ie.pascal(name)
        if not name.startswith(self.short):
            return self.short + name
        # Keep the prefix doubled when another definition would get this name.
        others = {self.short + ie.pascal(d) for d in self.defs if ie.pascal(d) != name}
        return self.short + name if name in others else name

    def skipped(self, s, path):
        """Members of object `s` at `path` that are read-only there."""
        return {f for f in object_properties(s) if path + "/" + f in self.read_only}

    def named_object(self, def_name, s, path):
        skip = self.skipped(s, path)
        if def_name in self.named:
            name, first_skip = self.named[def_name]
            if skip != first_skip:
                print("warning: %s: definition %s is read-only in part at one use only (%s)"
                      % (self.schema["typeName"], def_name, path), file=sys.stderr)
            return name
        name = self.native.types.reserve(self.prefixed(def_name))
        self.named[def_name] = (name, skip)
        self.define(name, s, path, skip)
        return name

    def inline_object(self, hint, s, path):
        name = self.native.types.reserve(self.prefixed(hint))
        self.define(name, s, path, self.skipped(s, path))
        return name

    def define(self, name, s, path, skip):
        required = set(s.get("required", []))
        fields = []
        # Claim the slot now so types appear in first-use order.
        self.native.types.define(name, s.get("description"), fields)
        for fname, fs in object_properties(s).items():
            if fname in skip:
                continue  # read-only: readable as an attribute, not settable
            fields.append((fname, fname not in required,
                           self.convert(fs, fname, path + "/" + fname)))


def object_properties(s):
    """Own properties, or the union of the properties of oneOf/anyOf
    alternatives (each alternative's members are then optional)."""
    props = s.get("properties")
    if isinstance(props, dict) and props:
        return props
    merged = {}
    for alt_key in ("oneOf", "anyOf"):
        for alt in s.get(alt_key, []) or []:
            for k, v in (alt.get("properties") or {}).items():
                merged.setdefault(k, v)
    return merged


def is_closed_object(s):
    return s.get("type") == "object" and s.get("additionalProperties") is False \
        and not s.get("patternProperties") and not object_properties(s)


def generate(schema, snapshot):
    type_name = schema["typeName"]
    native = ie.Native(type_name, "cloudformation", STATE.get(type_name),
                       ie.first_sentence(schema.get("description")))
    conv = Converter(schema, native)

    if type_name in snapshot:
        native.setting("snapshot", "true")
    ref = REF_OVERRIDES.get(type_name)
    pids = schema.get("primaryIdentifier", [])
    if ref is None and len(pids) == 1:
        pid = pids[0].split("/")[-1]
        if not pid.endswith("Id"):
            ref = pid
    if ref is not None:
        native.setting("ref", ie.quote(ref))
    ie.fact_settings(native, FACTS)

    read_only = schema.get("readOnlyProperties", [])
    top_ro = {p.split("/")[2] for p in read_only if p.count("/") == 2}
    required = set(schema.get("required", []))
    # Top-level pointers only: a deprecated member of a nested type leaves
    # the property itself in use.
    deprecated = {p.split("/")[2] for p in schema.get("deprecatedProperties", [])
                  if p.count("/") == 2}
    for name, ps in schema["properties"].items():
        if name in top_ro:
            continue
        doc = ie.first_sentence(ps.get("description"))
        if name in deprecated:
            doc = "Deprecated." + (" " + doc if doc else "")
        native.prop(name, conv.convert(ps, name, "/properties/" + name), name in required, doc)

    # Written after the members, with the other facts.
    create_only = [p.split("/")[2:] for p in schema.get("createOnlyProperties", [])]
    conditional = [p.split("/")[2] for p in schema.get("conditionalCreateOnlyProperties", [])]
    replaced = [p[0] for p in create_only if len(p) == 1] + REPLACES.get(type_name, [])
    maybe = conditional + [p[0] for p in create_only if len(p) > 1]
    replacement = (replaced, maybe)

    # Attribute types are what Fn::GetAtt returns: nothing is left out.
    conv.read_only = set()
    for pointer in read_only:
        if "*" in pointer.split("/"):
            continue  # inside an array: not readable with Fn::GetAtt
        target = conv.at_pointer(pointer)
        if target is None:
            print("warning: %s: %s not found" % (type_name, pointer), file=sys.stderr)
            continue
        if object_properties(target) and any(
                p.startswith(pointer + "/") for p in read_only):
            continue  # a container whose members are attributes themselves
        name = ".".join(pointer.split("/")[2:])
        top = schema["properties"].get(pointer.split("/")[2], {})
        doc = target.get("description") or (top.get("description") if pointer.count("/") == 2 else None)
        native.attr(name, conv.convert(target, name.replace(".", ""), pointer), ie.first_sentence(doc))
    # cfn-lint lets Fn::GetAtt read the properties of some types too (its
    # `_all_property_types`): scalars and lists of scalars, at the top level.
    if type_name in all_property_types:
        readable = {".".join(p.split("/")[2:]) for p in read_only}
        for name, ps in schema["properties"].items():
            if name in readable or name in deprecated:
                continue
            target = ps
            if "$ref" in target:
                target = conv.at_pointer("/properties/" + name) or target
            kinds = target.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            items = target.get("items", {})
            scalar = any(k in ("string", "integer", "number", "boolean") for k in kinds)
            scalar_list = "array" in kinds and items.get("type") in ("string", "integer", "number", "boolean")
            if not (scalar or scalar_list):
                continue
            native.attr(name, conv.convert(target, name, "/properties/" + name),
                        ie.first_sentence(ps.get("description")))
    ie.replacement_settings(native, *replacement)
    # A service AWS has shut down, is shutting down or keeps in maintenance
    # only: cfn-lint refuses (E3710) or warns of (W3696, W3697) every use.
    lifecycle = schema.get("lifecycle")
    retired = isinstance(lifecycle, dict) and lifecycle.get("status") in (
        "shutdown", "sunset", "maintenance")
    ie.deprecation_settings(native, [n for n in schema["properties"] if n in deprecated],
                            whole_type=retired)
    constraints = {name: value_constraints(conv.resolve(ps))
                   for name, ps in schema["properties"].items()}
    one_of = {}
    alternatives = required_alternatives(schema)
    if alternatives:
        one_of[""] = alternatives
    for name, ps in schema["properties"].items():
        if name not in top_ro:
            nested_constraints(conv, ps, name, constraints, one_of, [])
    ie.constraint_settings(native, constraints)
    ie.one_of_settings(native, one_of)
    return native


PATH_LIMIT = 8


def nested_constraints(conv, s, path, constraints, one_of, stack):
    """The constraints and one-of-required groups of the members under a
    top-level property, by path (`P.F`, `P[].F`, `P[]` an element of a
    list of scalars), as the properties' own: what a program writes there
    is checked as the property itself is."""
    if "$ref" in s:
        name = s["$ref"][len("#/definitions/"):]
        if name in stack or len(stack) >= PATH_LIMIT:
            return  # recursive: its type is `any` there
        stack = stack + [name]
        s = conv.resolve(s)
    if "." in path or "[]" in path:
        found = value_constraints(s)
        if found:
            constraints[path] = found
    items = s.get("items")
    # A list of at least n elements (n > 1: a list a program writes has one
    # at least), a map of at least n entries.
    if s.get("type") == "array" and isinstance(s.get("minItems"), int) and s["minItems"] > 1:
        constraints.setdefault(path, {})["min_items"] = s["minItems"]
    if s.get("type") == "object" and not object_properties(s) \
            and isinstance(s.get("minProperties"), int) and s["minProperties"] >= 1:
        constraints.setdefault(path, {})["min_items"] = s["minProperties"]
    if isinstance(items, dict) and (s.get("type") == "array" or "type" not in s):
        nested_constraints(conv, items, path + "[]", constraints, one_of, stack)
        return
    members = object_properties(s)
    if not members:
        return
    alternatives = required_alternatives(s)
    if not alternatives and s.get("minProperties", 0) >= 1:
        alternatives = [[field] for field in members]  # one member at least
    if alternatives:
        one_of[path] = alternatives
    for field, fs in members.items():
        if any(c in field for c in ".[]"):
            continue  # not spelt in a path
        nested_constraints(conv, fs, path + "." + field, constraints, one_of, stack)


def required_alternatives(s):
    """The sets of members of which an object needs one (`oneOf`/`anyOf`
    alternatives that each require members, cfn-lint's `requiredXor` and
    `requiredOr`), the first such rule the schema states; [] when none."""
    for holder in [s] + [a for a in s.get("allOf", []) or [] if isinstance(a, dict)]:
        for keyword in ("requiredXor", "requiredOr"):
            names = holder.get(keyword)
            if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
                return [[n] for n in names]
        for keyword in ("oneOf", "anyOf"):
            alts = holder.get(keyword)
            if not isinstance(alts, list) or not alts:
                continue
            sets = [a.get("required") for a in alts if isinstance(a, dict)]
            if len(sets) == len(alts) and all(isinstance(r, list) and r for r in sets):
                return [list(r) for r in sets]
    return []


def value_constraints(s):
    """A scalar property's enum, pattern, lengths and bounds, in a param's
    option terms; nothing for other types, or where they do not fit it."""
    kind = s.get("type")
    if kind not in ("string", "integer", "number"):
        return {}
    out = {}
    enum = s.get("enum")
    if isinstance(enum, list) and enum:
        want = str if kind == "string" else (int, float)
        if all(isinstance(v, want) and not isinstance(v, bool) for v in enum):
            out["allowed"] = list(dict.fromkeys(enum))
    if kind == "string":
        if isinstance(s.get("pattern"), str) and s["pattern"]:
            out["pattern"] = ie.full_match_pattern(s["pattern"])
        for src, dst in (("minLength", "min_length"), ("maxLength", "max_length")):
            if isinstance(s.get(src), int) and not isinstance(s.get(src), bool) and s[src] >= 0:
                out[dst] = s[src]
    else:
        for src, dst in (("minimum", "min"), ("maximum", "max")):
            v = s.get(src)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out[dst] = int(v) if kind == "integer" and v == int(v) else v
    return out


all_property_types = set()


def getatt_property_types(cfnlint_dir):
    """The types whose properties cfn-lint lets Fn::GetAtt read."""
    with open(os.path.join(cfnlint_dir, "schema", "_getatts.py"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"_all_property_types = \[(.*?)\]", text, re.S)
    return set(re.findall(r'"([^"]+)"', block.group(1))) if block else set()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cfnlint", help="the installed cfnlint package directory")
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "stdlib", "native", "cloudformation"))
    args = ap.parse_args()
    cfnlint_dir = find_cfnlint(args.cfnlint)
    version = cfnlint_version(cfnlint_dir)
    schemas = os.path.join(cfnlint_dir, "data", "schemas")
    with open(os.path.join(schemas, "providers", "us-east-1.json"), encoding="utf-8") as f:
        index = json.load(f)
    snapshot = snapshot_types(cfnlint_dir)
    global all_property_types
    all_property_types = getatt_property_types(cfnlint_dir)
    natives = []
    for t in sorted(index):
        with open(os.path.join(schemas, "resources", index[t] + ".json"), encoding="utf-8") as f:
            schema = json.load(f)
        natives.append(generate(schema, snapshot))
    header = ("Generated by tools/gen-schemas/gen_cloudformation.py from the resource provider "
              "schemas in cfn-lint %s (us-east-1). Do not edit." % version)
    count, size = ie.write_all(os.path.normpath(args.out), natives, header)
    print("cloudformation: %d types, %d bytes" % (count, size))


if __name__ == "__main__":
    main()
