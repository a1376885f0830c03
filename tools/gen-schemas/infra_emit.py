"""Shared helpers for the native schema generators: Infra type terms, names,
doc comments and file output.  Python 3 standard library only.

A type is a small tuple tree:

    ("prim", "string" | "int" | "number" | "bool")
    ("any",)
    ("list", T)
    ("map", T)                       # {string: T}
    ("obj", [(name, optional, T)])   # inline object type
    ("ref", "TypeName")              # a named type declared in the same file
"""

import os
import re
import sys

ANY = ("any",)
STRING = ("prim", "string")
INT = ("prim", "int")
NUMBER = ("prim", "number")
BOOL = ("prim", "bool")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Words the grammar treats specially where a member name stands.
_QUOTE_ALWAYS = {"string"}


def quote(text):
    """An Infra string literal."""
    out = []
    for ch in text:
        if ch in '"\\$':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\0":
            out.append("\\0")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key(name):
    """A property, attribute or field name: bare when it is an identifier."""
    if _IDENT.match(name) and name not in _QUOTE_ALWAYS:
        return name
    return quote(name)


def pascal(name):
    """`block_device_mapping_v2` -> `BlockDeviceMappingV2`; keeps CamelCase."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


def render(ty):
    kind = ty[0]
    if kind == "prim":
        return ty[1]
    if kind == "any":
        return "any"
    if kind == "list":
        return "[" + render(ty[1]) + "]"
    if kind == "map":
        return "{string: " + render(ty[1]) + "}"
    if kind == "ref":
        return ty[1]
    if kind == "obj":
        if not ty[1]:
            return "{}"
        fields = ", ".join(
            "%s%s: %s" % (key(n), "?" if opt else "", render(t)) for n, opt, t in ty[1]
        )
        return "{ " + fields + " }"
    raise ValueError("unknown type %r" % (ty,))


# ------------------------------------------------------------------ doc text

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_ABBREV = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "Inc.", "No.", "incl.")
_MAX_DOC = 200


def first_sentence(text):
    """The first sentence of a description, on one line, markdown links and
    ``code`` quoting removed, at most ~200 characters; None when empty."""
    if not text:
        return None
    text = _MD_LINK.sub(r"\1", str(text))
    text = re.sub(r"<[^>]+>", "", text)  # stray HTML tags
    text = text.replace("``", "`")
    # The first paragraph/line only.
    text = text.strip().split("\n")[0].strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        return None
    end = None
    for m in re.finditer(r"[.!?](?=\s|$)", text):
        before = text[: m.end()]
        if any(before.endswith(a) for a in _ABBREV):
            continue
        # "1.5" and "v2." style: require the next word to start a sentence.
        rest = text[m.end():].lstrip()
        if rest and not (rest[0].isupper() or rest[0] in "`\"'(["):
            continue
        end = m.end()
        break
    if end is not None:
        text = text[:end]
    text = text.strip()
    if len(text) > _MAX_DOC:
        cut = text[: _MAX_DOC - 3]
        if " " in cut:
            cut = cut[: cut.rindex(" ")]
        text = cut.rstrip(",;:") + "..."
    return text or None


def doc_lines(text, indent=""):
    """A `///` line for text that is already one sentence (see first_sentence)."""
    if not text:
        return []
    return [indent + "/// " + re.sub(r"\s+", " ", text).strip()]


# --------------------------------------------------------------- named types

class TypeTable:
    """Named object types of one file, in first-use order."""

    def __init__(self):
        self.order = []          # names in emission order
        self.defs = {}           # name -> (doc, [(name, optional, T)])
        self.reserved = set()

    def reserve(self, name):
        """Claim a unique name before the body is known (for recursion)."""
        base = name
        n = 2
        while name in self.reserved:
            name = "%s%d" % (base, n)
            n += 1
        self.reserved.add(name)
        return name

    def define(self, name, doc, fields):
        self.order.append(name)
        self.defs[name] = (doc, fields)

    def lines(self):
        out = []
        for name in self.order:
            doc, fields = self.defs[name]
            out.append("")
            out.extend(doc_lines(first_sentence(doc)))
            if not fields:
                out.append("type %s = {}" % name)
                continue
            out.append("type %s = {" % name)
            for fname, opt, fty in fields:
                out.append("  %s%s: %s" % (key(fname), "?" if opt else "", render(fty)))
            out.append("}")
        return out


# ------------------------------------------------------------------ natives

def literal(value):
    """A setting's value as Infra writes it: true, a string, a list of them,
    or an object of them."""
    if value is True:
        return "true"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else "%d.0" % value
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join("%s = %s" % (key(k), literal(v)) for k, v in value.items()) + " }"
    raise TypeError("no Infra literal for %r" % (value,))


def fact_settings(native, facts):
    """Settings from a script's fact table, in the table's order, written
    after the members they name.

    Address blocks (read by the checker, src/sema/check/cidr.rs):
    `cidr`: the properties holding IPv4 network blocks the clouds check, a
    path each (`[]` each element of a list, `.name` a field of an object);
    `network`: the property holding a network's block; `secondary_blocks`:
    the network may hold subnets in secondary blocks; `subnet`: the property
    naming a subnet's network and the one holding its block; `adds_cidr`:
    the type gives a network a secondary block.
    Attributes (read by the backends through the IR): `list_attributes`,
    read as lists; `keyed_attributes`, lists of key/value objects read as
    maps (`{attribute = [key field, value field]}`); `sensitive_attributes`,
    those the provider marks sensitive.
    Deletion (read by the Terraform backend through the IR):
    `final_snapshot`, the arguments that keep a final snapshot (`{ flag =
    "A" }`, or `{ skip = "S", identifier = "I", named_after = "N" }`).
    Checks of values (read by the backends through the IR): `image`, the
    property holding the machine image the type boots from, a path (`.name`
    a field of an object); `address_attributes`, the attributes holding IP
    addresses (by the first segment of the path read); `dns_record`, a DNS
    record, the properties holding its type and its values (`{ type = "T",
    records = "R" }`). The names these settings give must be members of the
    type: the script stops otherwise."""
    for name, value in facts.get(native.type_name, {}).items():
        if name == "image":
            native.named.append((name, ("property",), [value.split(".")[0]]))
        elif name == "address_attributes":
            native.named.append((name, ("property", "attribute"), value))
        elif name == "dns_record":
            native.named.append((name, ("property",), list(value.values())))
        native.facts.append((name, literal(value)))


def replacement_settings(native, replaced_by, may_replace=()):
    """What a change of a property does to a deployed resource, written
    after the members (read into the checker's Schema, used by `infra
    diff`): `replaced_by`, the top-level properties whose change makes the
    tool replace the resource (a new one is made, the old one deleted);
    `may_replace`, those whose change replaces it in some cases only.
    Names are written in the order given, once, and only names of the
    schema's own properties; an empty list is not written."""
    props = {name for kind, name, _, _ in native.members if kind == "property"}
    seen = set()
    for key, names in (("replaced_by", replaced_by), ("may_replace", may_replace)):
        kept = []
        for name in names:
            if name in props and name not in seen:
                seen.add(name)
                kept.append(name)
        if kept:
            native.facts.append((key, literal(kept)))


def deprecation_settings(native, properties, whole_type=False):
    """What the source says is deprecated, written last (read into the
    checker's Schema, which warns where a program uses it: W0211):
    `deprecated_properties`, the top-level properties, in the order given,
    only names of the schema's own properties; `deprecated = true`, the
    type itself."""
    props = {name for kind, name, _, _ in native.members if kind == "property"}
    kept = [name for name in properties if name in props]
    if kept:
        native.facts.append(("deprecated_properties", literal(kept)))
    if whole_type:
        native.facts.append(("deprecated", "true"))


# `min_items`: a list of at least that many elements (more than one), a map
# of at least that many entries (not a param option; the checker does not
# read it).
CONSTRAINT_OPTIONS = ("allowed", "pattern", "min_length", "max_length", "min", "max", "min_items")


def constraint_settings(native, constraints):
    """`constraints = { P = { allowed = [...], pattern = "...", min_length
    = n, max_length = n, min = n, max = n } }`: what the source says of the
    values of top-level properties, in a param's option terms (the checker
    checks values known at compile time against them: E0301). Written last,
    in member order, only for the schema's own properties; patterns must
    match the whole value (see full_match_pattern)."""
    props = {name for kind, name, _, _ in native.members if kind == "property"}
    kept = {}
    for kind, name, _, _ in native.members:
        if kind == "property" and constraints.get(name):
            options = constraints[name]
            kept[name] = {k: options[k] for k in CONSTRAINT_OPTIONS if k in options}
    # Members of nested types and list elements, by path, after the
    # top-level properties.
    for path, options in constraints.items():
        if path not in props and options and re.split(r"[.\[]", path)[0] in props:
            kept[path] = {k: options[k] for k in CONSTRAINT_OPTIONS if k in options}
    if kept:
        body = "".join("\n    %s = %s" % (key(name), literal(options))
                       for name, options in kept.items())
        native.facts.append(("constraints", "{" + body + "\n  }"))


def one_of_settings(native, groups):
    """`one_of_required = { "" = [["A"], ["B", "C"]], "P[].Q" = [...] }`:
    the object at each path (`""` the resource's properties) needs every
    member of one of the lists, as the source's `oneOf`/`anyOf`
    alternatives (or cfn-lint's `requiredXor`/`requiredOr`) say. Written
    after the constraints, only for paths under the schema's own
    properties."""
    props = {name for kind, name, _, _ in native.members if kind == "property"}
    for name in (n for alts in groups.get("", []) for n in alts):
        if name not in props:
            sys.exit("%s has no property %s (one_of_required)" % (native.type_name, name))
    kept = {path: alts for path, alts in groups.items()
            if alts and (path == "" or re.split(r"[.\[]", path)[0] in props)}
    if kept:
        body = "".join("\n    %s = %s" % (quote(path), literal(alts))
                       for path, alts in kept.items())
        native.facts.append(("one_of_required", "{" + body + "\n  }"))


def full_match_pattern(pattern):
    """A pattern that matches a whole value where `pattern` matches part of
    it (JSON Schema's `pattern` searches; the checker matches the whole
    value): kept as it is when anchored at both ends with no alternation."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$") \
            and "|" not in pattern:
        return pattern
    return "[\\s\\S]*(?:" + pattern + ")[\\s\\S]*"


class Native:
    """One `native` declaration.  Docs given here are used verbatim: pass
    first_sentence(description)."""

    def __init__(self, type_name, target, state=None, doc=None):
        self.type_name = type_name
        self.target = target
        self.state = state
        self.doc = doc
        self.settings = []       # (key, literal text)
        self.facts = []          # (key, literal text), after the members
        self.named = []          # (fact, member kinds, names it gives)
        self.members = []        # (kind, name, T, doc)
        self.types = TypeTable()
        self.header = None       # overrides write_all's header
        self.file = None         # overrides file_name(type_name)

    def setting(self, name, literal):
        self.settings.append((name, literal))

    def prop(self, name, ty, required, doc=None):
        if not required:
            ty = ("opt", ty)
        self.members.append(("property", name, ty, doc))

    def attr(self, name, ty, doc=None):
        self.members.append(("attribute", name, ty, doc))

    def text(self, header):
        for fact, kinds, names in self.named:
            for name in names:
                if not any(k == kind and n == name for kind, n, _, _ in self.members for k in kinds):
                    sys.exit("%s has no %s %s (%s in FACTS)" % (self.type_name, " or ".join(kinds), name, fact))
        out = ["// " + header, ""]
        out.extend(doc_lines(self.doc))
        head = "native %s on %s {" % (quote(self.type_name), self.target)
        if self.state:
            head = self.state + " " + head
        out.append(head)
        for name, literal in self.settings:
            out.append("  %s = %s" % (name, literal))
        for kind, name, ty, doc in self.members:
            out.extend(doc_lines(doc, "  "))
            if ty[0] == "opt":
                rendered = render(ty[1]) + "?"
            else:
                rendered = render(ty)
            out.append("  %s %s: %s" % (kind, key(name), rendered))
        for name, literal in self.facts:
            out.append("  %s = %s" % (name, literal))
        out.append("}")
        out.extend(self.types.lines())
        return "\n".join(out) + "\n"


def file_name(type_name):
    return type_name.lower().replace("::", "-") + ".infra"


def write_all(out_dir, natives, header):
    """Write one file per native type; remove stale generated files."""
    os.makedirs(out_dir, exist_ok=True)
    wanted = {}
    for n in natives:
        wanted[n.file or file_name(n.type_name)] = n.text(n.header or header)
    # Files this script made before for types no longer listed.
    script = header.split(" from ")[0]
    for existing in sorted(os.listdir(out_dir)):
        if existing.endswith(".infra") and existing not in wanted:
            path = os.path.join(out_dir, existing)
            with open(path, encoding="utf-8") as f:
                first = f.readline()
            if first.startswith("// " + script + " "):
                os.remove(path)
    total = 0
    for name in sorted(wanted):
        data = wanted[name].encode("utf-8")
        total += len(data)
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
    return len(wanted), total
