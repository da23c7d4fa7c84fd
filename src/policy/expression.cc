#include "rsf/policy/expression.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

namespace rsf::policy {

std::string_view ValueTypeName(ValueType t) {
  switch (t) {
    case ValueType::kNumber: return "number";
    case ValueType::kBool: return "boolean";
    case ValueType::kString: return "string";
  }
  return "value";
}

std::string_view TruthName(Truth t) {
  switch (t) {
    case Truth::kFalse: return "false";
    case Truth::kTrue: return "true";
    case Truth::kUnknown: return "unknown";
  }
  return "unknown";
}

struct Expression::Node {
  enum class Kind { kNumber, kBool, kString, kMetric, kHas, kNeg, kNot, kAnd, kOr, kCompare,
                    kArith, kMin, kMax, kAbs };
  Kind kind = Kind::kNumber;
  ValueType type = ValueType::kNumber;
  int line = 1, column = 1;  // absolute position in the source file
  double number = 0;
  bool boolean = false;
  std::string text;  // string literal, metric path or operator
  std::vector<std::shared_ptr<const Node>> kids;
};

namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

constexpr size_t kMaxLength = 4096;
constexpr int kMaxDepth = 64;

enum class Tok { kEnd, kNumber, kString, kIdent, kSymbol };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // identifier, symbol, or decoded string
  double number = 0;
  int line = 1, column = 1;  // absolute
};

class Parser {
 public:
  Parser(std::string_view text, const SourcePosition& where) : text_(text), where_(where) {}

  Result<NodePtr> Run() {
    RSF_RETURN_IF_ERROR(Lex());
    RSF_ASSIGN_OR_RETURN(NodePtr root, ParseOr());
    if (Peek().kind != Tok::kEnd) return ErrorAt(Peek(), "expected an operator or the end, got " + Describe(Peek()));
    return root;
  }

 private:
  // ---- lexing ----
  std::pair<int, int> Absolute(int line, int column) const {
    return {where_.line + line - 1, line == 1 ? where_.column + column - 1 : column};
  }

  Status LexError(int line, int column, const std::string& what) const {
    auto [l, c] = Absolute(line, column);
    return InvalidArgumentError(fmt::format("{}{}:{}: {}", where_.file.empty() ? "" : where_.file + ":",
                                            l, c, what));
  }

  Status Lex() {
    int line = 1, column = 1;
    size_t i = 0;
    auto advance = [&](size_t n) {
      for (size_t k = 0; k < n; ++k, ++i) {
        if (text_[i] == '\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
    };
    while (i < text_.size()) {
      char c = text_[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        advance(1);
        continue;
      }
      Token t;
      std::tie(t.line, t.column) = Absolute(line, column);
      if ((c >= '0' && c <= '9') || (c == '.' && i + 1 < text_.size() && isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t j = i;
        while (j < text_.size() && (isdigit(static_cast<unsigned char>(text_[j])) || text_[j] == '.')) ++j;
        if (j < text_.size() && (text_[j] == 'e' || text_[j] == 'E')) {
          size_t k = j + 1;
          if (k < text_.size() && (text_[k] == '+' || text_[k] == '-')) ++k;
          if (k < text_.size() && isdigit(static_cast<unsigned char>(text_[k]))) {
            j = k;
            while (j < text_.size() && isdigit(static_cast<unsigned char>(text_[j]))) ++j;
          }
        }
        std::string_view lit = text_.substr(i, j - i);
        auto r = std::from_chars(lit.data(), lit.data() + lit.size(), t.number);
        if (r.ec != std::errc() || r.ptr != lit.data() + lit.size() || !std::isfinite(t.number)) {
          return LexError(line, column, "'" + std::string(lit) + "' is not a number");
        }
        if (j < text_.size() && (isalpha(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) {
          return LexError(line, column, "a name cannot start with a digit");
        }
        t.kind = Tok::kNumber;
        t.text = std::string(lit);
        advance(j - i);
      } else if (isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() && (isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '_')) ++j;
        t.kind = Tok::kIdent;
        t.text = std::string(text_.substr(i, j - i));
        advance(j - i);
      } else if (c == '"' || c == '\'') {
        size_t j = i + 1;
        std::string value;
        while (j < text_.size() && text_[j] != c) {
          if (text_[j] == '\n') return LexError(line, column, "string is not closed on its line");
          if (text_[j] == '\\' && j + 1 < text_.size()) {
            char e = text_[j + 1];
            if (e == 'n') value += '\n';
            else if (e == 't') value += '\t';
            else if (e == '\\' || e == '"' || e == '\'') value += e;
            else return LexError(line, column, fmt::format("unknown escape '\\{}' in string", e));
            j += 2;
          } else {
            value += text_[j++];
          }
        }
        if (j >= text_.size()) return LexError(line, column, "string is not closed");
        t.kind = Tok::kString;
        t.text = std::move(value);
        advance(j + 1 - i);
      } else {
        static const char* kTwo[] = {"<=", ">=", "==", "!=", "&&", "||"};
        std::string sym;
        for (const char* two : kTwo) {
          if (text_.substr(i, 2) == two) sym = two;
        }
        if (sym.empty() && std::string_view("()<>,.+-*/!").find(c) != std::string_view::npos) sym = std::string(1, c);
        if (sym.empty()) {
          if (c == '=') return LexError(line, column, "'=' is not an operator; use '==' to compare");
          return LexError(line, column, fmt::format("unexpected character '{}'", c));
        }
        t.kind = Tok::kSymbol;
        t.text = sym;
        advance(sym.size());
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    std::tie(end.line, end.column) = Absolute(line, column);
    tokens_.push_back(end);
    return OkStatus();
  }

  // ---- parsing ----
  const Token& Peek() const { return tokens_[pos_]; }
  const Token& Next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  bool IsSymbol(std::string_view s) const { return Peek().kind == Tok::kSymbol && Peek().text == s; }
  bool IsWord(std::string_view s) const { return Peek().kind == Tok::kIdent && Peek().text == s; }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "the end of the expression";
      case Tok::kNumber: return "number " + t.text;
      case Tok::kString: return "a string";
      case Tok::kIdent: return "'" + t.text + "'";
      case Tok::kSymbol: return "'" + t.text + "'";
    }
    return "?";
  }

  Status ErrorAt(const Token& t, const std::string& what) const { return ErrorAt(t.line, t.column, what); }
  Status ErrorAt(int line, int column, const std::string& what) const {
    return InvalidArgumentError(fmt::format("{}{}:{}: {}", where_.file.empty() ? "" : where_.file + ":",
                                            line, column, what));
  }
  Status ExpectType(const NodePtr& n, ValueType want, std::string_view context) const {
    if (n->type == want) return OkStatus();
    return ErrorAt(n->line, n->column, fmt::format("{} needs a {}, got a {}", context, ValueTypeName(want),
                                                   ValueTypeName(n->type)));
  }

  std::shared_ptr<Node> Make(Node::Kind kind, ValueType type, const Token& at) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->type = type;
    n->line = at.line;
    n->column = at.column;
    return n;
  }

  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    int& depth;
  };

  Result<NodePtr> ParseOr() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return ErrorAt(Peek(), "expression nests deeper than 64 levels");
    return ParseBinary(&Parser::ParseAnd, {"or", "||"}, Node::Kind::kOr, ValueType::kBool);
  }

  Result<NodePtr> ParseAnd() {
    return ParseBinary(&Parser::ParseNot, {"and", "&&"}, Node::Kind::kAnd, ValueType::kBool);
  }

  // One left-associative level of binary operators `ops`, whose operands come from `next`
  // and must be of `type` (the result's type too).
  Result<NodePtr> ParseBinary(Result<NodePtr> (Parser::*next)(), std::initializer_list<std::string_view> ops,
                              Node::Kind kind, ValueType type) {
    auto at_op = [&] {
      return std::any_of(ops.begin(), ops.end(), [&](std::string_view op) { return IsWord(op) || IsSymbol(op); });
    };
    RSF_ASSIGN_OR_RETURN(NodePtr left, (this->*next)());
    while (at_op()) {
      Token op = Next();
      RSF_ASSIGN_OR_RETURN(NodePtr right, (this->*next)());
      RSF_RETURN_IF_ERROR(ExpectType(left, type, "'" + op.text + "'"));
      RSF_RETURN_IF_ERROR(ExpectType(right, type, "'" + op.text + "'"));
      auto n = Make(kind, type, op);
      n->text = op.text;
      n->kids = {left, right};
      left = n;
    }
    return left;
  }

  Result<NodePtr> ParseNot() {
    if (IsWord("not") || IsSymbol("!")) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxDepth) return ErrorAt(Peek(), "expression nests deeper than 64 levels");
      Token op = Next();
      RSF_ASSIGN_OR_RETURN(NodePtr operand, ParseNot());
      RSF_RETURN_IF_ERROR(ExpectType(operand, ValueType::kBool, "'not'"));
      auto n = Make(Node::Kind::kNot, ValueType::kBool, op);
      n->kids = {operand};
      return NodePtr(n);
    }
    return ParseCompare();
  }

  Result<NodePtr> ParseCompare() {
    RSF_ASSIGN_OR_RETURN(NodePtr left, ParseSum());
    for (const char* op : {"<", "<=", ">", ">=", "==", "!="}) {
      if (!IsSymbol(op)) continue;
      Token tok = Next();
      RSF_ASSIGN_OR_RETURN(NodePtr right, ParseSum());
      bool equality = tok.text == "==" || tok.text == "!=";
      if (equality) {
        if (left->type != right->type) {
          return ErrorAt(tok, fmt::format("'{}' compares a {} with a {}", tok.text, ValueTypeName(left->type),
                                          ValueTypeName(right->type)));
        }
      } else {
        RSF_RETURN_IF_ERROR(ExpectType(left, ValueType::kNumber, "'" + tok.text + "'"));
        RSF_RETURN_IF_ERROR(ExpectType(right, ValueType::kNumber, "'" + tok.text + "'"));
      }
      auto n = Make(Node::Kind::kCompare, ValueType::kBool, tok);
      n->text = tok.text;
      n->kids = {left, right};
      for (const char* again : {"<", "<=", ">", ">=", "==", "!="}) {
        if (IsSymbol(again)) return ErrorAt(Peek(), "comparisons do not chain; join them with 'and'");
      }
      return NodePtr(n);
    }
    return left;
  }

  Result<NodePtr> ParseSum() {
    return ParseBinary(&Parser::ParseProduct, {"+", "-"}, Node::Kind::kArith, ValueType::kNumber);
  }

  Result<NodePtr> ParseProduct() {
    return ParseBinary(&Parser::ParseUnary, {"*", "/"}, Node::Kind::kArith, ValueType::kNumber);
  }

  Result<NodePtr> ParseUnary() {
    if (IsSymbol("-")) {
      DepthGuard guard(depth_);
      if (depth_ > kMaxDepth) return ErrorAt(Peek(), "expression nests deeper than 64 levels");
      Token op = Next();
      RSF_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary());
      RSF_RETURN_IF_ERROR(ExpectType(operand, ValueType::kNumber, "'-'"));
      auto n = Make(Node::Kind::kNeg, ValueType::kNumber, op);
      n->kids = {operand};
      return NodePtr(n);
    }
    return ParsePrimary();
  }

  Result<std::string> ParsePath() {
    if (Peek().kind != Tok::kIdent) return ErrorAt(Peek(), "expected a metric name, got " + Describe(Peek()));
    std::string path = Next().text;
    while (IsSymbol(".")) {
      Next();
      if (Peek().kind != Tok::kIdent) return ErrorAt(Peek(), "expected a name after '.', got " + Describe(Peek()));
      path += "." + Next().text;
    }
    return path;
  }

  Result<NodePtr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNumber: {
        auto n = Make(Node::Kind::kNumber, ValueType::kNumber, t);
        n->number = Next().number;
        return NodePtr(n);
      }
      case Tok::kString: {
        auto n = Make(Node::Kind::kString, ValueType::kString, t);
        n->text = Next().text;
        return NodePtr(n);
      }
      case Tok::kSymbol:
        if (t.text == "(") {
          DepthGuard guard(depth_);
          Next();
          RSF_ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
          if (!IsSymbol(")")) return ErrorAt(Peek(), "expected ')', got " + Describe(Peek()));
          Next();
          return inner;
        }
        return ErrorAt(t, "expected a value, a metric or '(', got " + Describe(t));
      case Tok::kEnd:
        return ErrorAt(t, "expected a value, a metric or '(', got the end of the expression");
      case Tok::kIdent:
        break;
    }
    if (t.text == "true" || t.text == "false") {
      auto n = Make(Node::Kind::kBool, ValueType::kBool, t);
      n->boolean = Next().text == "true";
      return NodePtr(n);
    }
    if (t.text == "and" || t.text == "or" || t.text == "not") {
      return ErrorAt(t, "expected a value, got the keyword '" + t.text + "'");
    }
    bool is_call = pos_ + 1 < tokens_.size() && tokens_[pos_ + 1].kind == Tok::kSymbol && tokens_[pos_ + 1].text == "(";
    if (is_call) return ParseCall();
    auto n = Make(Node::Kind::kMetric, ValueType::kNumber, t);
    RSF_ASSIGN_OR_RETURN(n->text, ParsePath());
    metrics_.insert(n->text);
    return NodePtr(n);
  }

  Result<NodePtr> ParseCall() {
    Token name = Next();
    Next();  // '('
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return ErrorAt(name, "expression nests deeper than 64 levels");
    if (name.text == "has") {
      auto n = Make(Node::Kind::kHas, ValueType::kBool, name);
      RSF_ASSIGN_OR_RETURN(n->text, ParsePath());
      metrics_.insert(n->text);
      if (!IsSymbol(")")) return ErrorAt(Peek(), "has() takes one metric name; expected ')'");
      Next();
      return NodePtr(n);
    }
    Node::Kind kind;
    if (name.text == "min") kind = Node::Kind::kMin;
    else if (name.text == "max") kind = Node::Kind::kMax;
    else if (name.text == "abs") kind = Node::Kind::kAbs;
    else return ErrorAt(name, "unknown function '" + name.text + "' (expected min, max, abs or has)");
    auto n = Make(kind, ValueType::kNumber, name);
    n->text = name.text;
    while (true) {
      RSF_ASSIGN_OR_RETURN(NodePtr arg, ParseOr());
      RSF_RETURN_IF_ERROR(ExpectType(arg, ValueType::kNumber, name.text + "()"));
      n->kids.push_back(arg);
      if (IsSymbol(",")) {
        Next();
        continue;
      }
      if (IsSymbol(")")) {
        Next();
        break;
      }
      return ErrorAt(Peek(), "expected ',' or ')', got " + Describe(Peek()));
    }
    if (kind == Node::Kind::kAbs && n->kids.size() != 1) return ErrorAt(name, "abs() takes one argument");
    return NodePtr(n);
  }

  std::string_view text_;
  SourcePosition where_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;

 public:
  std::set<std::string> metrics_;
};

// ---- evaluation ----

struct Val {
  enum class Kind { kUnknown, kNumber, kBool, kString } kind = Kind::kUnknown;
  double number = 0;
  bool boolean = false;
  const std::string* text = nullptr;
};

class Evaluator {
 public:
  Evaluator(const MetricLookup& lookup, const SourcePosition& where) : lookup_(lookup), where_(where) {}

  Result<Val> Eval(const Node& n) {
    Val v;
    switch (n.kind) {
      case Node::Kind::kNumber: v.kind = Val::Kind::kNumber; v.number = n.number; return v;
      case Node::Kind::kBool: v.kind = Val::Kind::kBool; v.boolean = n.boolean; return v;
      case Node::Kind::kString: v.kind = Val::Kind::kString; v.text = &n.text; return v;
      case Node::Kind::kMetric: {
        auto m = lookup_(n.text);
        if (m) {
          if (!std::isfinite(*m)) return Error(n, "metric '" + n.text + "' is not a finite number");
          v.kind = Val::Kind::kNumber;
          v.number = *m;
        }
        return v;
      }
      case Node::Kind::kHas:
        v.kind = Val::Kind::kBool;
        v.boolean = lookup_(n.text).has_value();
        return v;
      case Node::Kind::kNeg: {
        RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[0]));
        if (a.kind == Val::Kind::kNumber) a.number = -a.number;
        return a;
      }
      case Node::Kind::kNot: {
        RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[0]));
        if (a.kind == Val::Kind::kBool) a.boolean = !a.boolean;
        return a;
      }
      case Node::Kind::kAnd:
      case Node::Kind::kOr: {
        const bool is_and = n.kind == Node::Kind::kAnd;
        RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[0]));
        // Kleene logic; the right side is always evaluated so errors never hide.
        RSF_ASSIGN_OR_RETURN(Val b, Eval(*n.kids[1]));
        const bool dominant = !is_and;  // true dominates 'or', false dominates 'and'
        auto is = [&](const Val& x, bool value) { return x.kind == Val::Kind::kBool && x.boolean == value; };
        v.kind = Val::Kind::kBool;
        if (is(a, dominant) || is(b, dominant)) {
          v.boolean = dominant;
        } else if (a.kind == Val::Kind::kUnknown || b.kind == Val::Kind::kUnknown) {
          v.kind = Val::Kind::kUnknown;
        } else {
          v.boolean = !dominant;
        }
        return v;
      }
      case Node::Kind::kCompare: {
        RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[0]));
        RSF_ASSIGN_OR_RETURN(Val b, Eval(*n.kids[1]));
        if (a.kind == Val::Kind::kUnknown || b.kind == Val::Kind::kUnknown) return v;
        v.kind = Val::Kind::kBool;
        const std::string& op = n.text;
        if (a.kind == Val::Kind::kNumber) {
          double x = a.number, y = b.number;
          v.boolean = op == "<" ? x < y : op == "<=" ? x <= y : op == ">" ? x > y
                    : op == ">=" ? x >= y : op == "==" ? x == y : x != y;
        } else if (a.kind == Val::Kind::kBool) {
          v.boolean = op == "==" ? a.boolean == b.boolean : a.boolean != b.boolean;
        } else {
          v.boolean = op == "==" ? *a.text == *b.text : *a.text != *b.text;
        }
        return v;
      }
      case Node::Kind::kArith: {
        RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[0]));
        RSF_ASSIGN_OR_RETURN(Val b, Eval(*n.kids[1]));
        if (a.kind == Val::Kind::kUnknown || b.kind == Val::Kind::kUnknown) return v;
        v.kind = Val::Kind::kNumber;
        const std::string& op = n.text;
        if (op == "/" && b.number == 0) return Error(n, "division by zero");
        v.number = op == "+" ? a.number + b.number : op == "-" ? a.number - b.number
                 : op == "*" ? a.number * b.number : a.number / b.number;
        if (!std::isfinite(v.number)) return Error(n, "'" + op + "' overflows");
        return v;
      }
      case Node::Kind::kMin:
      case Node::Kind::kMax:
      case Node::Kind::kAbs: {
        bool unknown = false;
        v.kind = Val::Kind::kNumber;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          RSF_ASSIGN_OR_RETURN(Val a, Eval(*n.kids[i]));
          if (a.kind == Val::Kind::kUnknown) {
            unknown = true;
            continue;
          }
          if (n.kind == Node::Kind::kAbs) v.number = std::fabs(a.number);
          else if (i == 0 || (n.kind == Node::Kind::kMin ? a.number < v.number : a.number > v.number)) v.number = a.number;
        }
        if (unknown) v.kind = Val::Kind::kUnknown;
        return v;
      }
    }
    return InternalError("unknown expression node");
  }

 private:
  Status Error(const Node& n, const std::string& what) const {
    return InvalidArgumentError(fmt::format("{}{}:{}: {}", where_.file.empty() ? "" : where_.file + ":",
                                            n.line, n.column, what));
  }
  const MetricLookup& lookup_;
  const SourcePosition& where_;
};

std::string FormatNumber(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

int Precedence(const Node& n) {
  switch (n.kind) {
    case Node::Kind::kOr: return 1;
    case Node::Kind::kAnd: return 2;
    case Node::Kind::kNot: return 3;
    case Node::Kind::kCompare: return 4;
    case Node::Kind::kArith: return (n.text == "+" || n.text == "-") ? 5 : 6;
    case Node::Kind::kNeg: return 7;
    default: return 8;
  }
}

std::string Print(const Node& n) {
  auto child = [&](const Node& c, bool right) {
    int pc = Precedence(c), pn = Precedence(n);
    bool paren = pc < pn || (right && pc == pn && n.kind == Node::Kind::kArith);
    std::string s = Print(c);
    return paren ? "(" + s + ")" : s;
  };
  switch (n.kind) {
    case Node::Kind::kNumber: return FormatNumber(n.number);
    case Node::Kind::kBool: return n.boolean ? "true" : "false";
    case Node::Kind::kString: {
      std::string out = "\"";
      for (char c : n.text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') { out += "\\n"; continue; }
        if (c == '\t') { out += "\\t"; continue; }
        out += c;
      }
      return out + "\"";
    }
    case Node::Kind::kMetric: return n.text;
    case Node::Kind::kHas: return "has(" + n.text + ")";
    case Node::Kind::kNeg: return "-" + child(*n.kids[0], false);
    case Node::Kind::kNot: return "not " + child(*n.kids[0], false);
    case Node::Kind::kAnd: return child(*n.kids[0], false) + " and " + child(*n.kids[1], true);
    case Node::Kind::kOr: return child(*n.kids[0], false) + " or " + child(*n.kids[1], true);
    case Node::Kind::kCompare:
    case Node::Kind::kArith:
      return child(*n.kids[0], false) + " " + n.text + " " + child(*n.kids[1], true);
    case Node::Kind::kMin:
    case Node::Kind::kMax:
    case Node::Kind::kAbs: {
      std::string out = n.text + "(";
      for (size_t i = 0; i < n.kids.size(); ++i) out += (i ? ", " : "") + Print(*n.kids[i]);
      return out + ")";
    }
  }
  return "?";
}

}  // namespace

Result<Expression> Expression::Parse(std::string_view text, const SourcePosition& where) {
  if (text.size() > kMaxLength) {
    return InvalidArgumentError(fmt::format("{}{}:{}: expression is {} characters; the limit is 4,096",
                                            where.file.empty() ? "" : where.file + ":", where.line,
                                            where.column, text.size()));
  }
  Parser parser(text, where);
  RSF_ASSIGN_OR_RETURN(NodePtr root, parser.Run());
  // The canonical form spaces every operator, so it can be longer than what was written; it
  // must fit the limit too, or an expression could be stored in a form that no longer parses.
  if (const size_t canonical = Print(*root).size(); canonical > kMaxLength) {
    return InvalidArgumentError(fmt::format("{}{}:{}: expression is {} characters in canonical form; the limit is 4,096",
                                            where.file.empty() ? "" : where.file + ":", where.line,
                                            where.column, canonical));
  }
  Expression e;
  e.root_ = std::move(root);
  e.metrics_.assign(parser.metrics_.begin(), parser.metrics_.end());
  e.where_ = where;
  return e;
}

Result<Expression> Expression::ParseCondition(std::string_view text, const SourcePosition& where) {
  RSF_ASSIGN_OR_RETURN(Expression e, Parse(text, where));
  if (e.type() != ValueType::kBool) {
    return InvalidArgumentError(fmt::format("{}{}:{}: a condition must be true or false, but this is a {}",
                                            where.file.empty() ? "" : where.file + ":", e.root_->line,
                                            e.root_->column, ValueTypeName(e.type())));
  }
  return e;
}

std::vector<Expression::Comparison> Expression::Comparisons() const {
  std::vector<Comparison> out;
  std::function<void(const Node&, bool)> walk = [&](const Node& n, bool negated) {
    if (n.kind == Node::Kind::kCompare && n.kids[0]->type == ValueType::kNumber) {
      const Node& a = *n.kids[0];
      const Node& b = *n.kids[1];
      if (a.kind == Node::Kind::kMetric && b.kind == Node::Kind::kNumber) {
        out.push_back({a.text, n.text, b.number, negated});
      } else if (a.kind == Node::Kind::kNumber && b.kind == Node::Kind::kMetric) {
        static const std::map<std::string, std::string> kFlip = {{"<", ">"}, {"<=", ">="}, {">", "<"},
                                                                 {">=", "<="}, {"==", "=="}, {"!=", "!="}};
        out.push_back({b.text, kFlip.at(n.text), a.number, negated});
      }
    }
    for (const auto& k : n.kids) walk(*k, negated != (n.kind == Node::Kind::kNot));
  };
  walk(*root_, false);
  return out;
}

std::optional<std::string> Expression::Contradiction() const {
  // Bounds implied by the top-level conjuncts only (not under `or` or `not`).
  struct Bound {
    double lo = -INFINITY, hi = INFINITY;
    bool lo_strict = false, hi_strict = false;
  };
  std::map<std::string, Bound> bounds;
  std::function<void(const Node&)> collect = [&](const Node& n) {
    if (n.kind == Node::Kind::kAnd) {
      collect(*n.kids[0]);
      collect(*n.kids[1]);
      return;
    }
    if (n.kind != Node::Kind::kCompare) return;
    const Node* metric = nullptr;
    double value = 0;
    std::string op = n.text;
    if (n.kids[0]->kind == Node::Kind::kMetric && n.kids[1]->kind == Node::Kind::kNumber) {
      metric = n.kids[0].get();
      value = n.kids[1]->number;
    } else if (n.kids[0]->kind == Node::Kind::kNumber && n.kids[1]->kind == Node::Kind::kMetric) {
      metric = n.kids[1].get();
      value = n.kids[0]->number;
      static const std::map<std::string, std::string> kFlip = {{"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
      if (auto it = kFlip.find(op); it != kFlip.end()) op = it->second;
    }
    if (!metric) return;
    Bound& b = bounds[metric->text];
    auto raise = [&](double v, bool strict) {
      if (v > b.lo || (v == b.lo && strict)) {
        b.lo = v;
        b.lo_strict = strict;
      }
    };
    auto lower = [&](double v, bool strict) {
      if (v < b.hi || (v == b.hi && strict)) {
        b.hi = v;
        b.hi_strict = strict;
      }
    };
    if (op == ">") raise(value, true);
    if (op == ">=") raise(value, false);
    if (op == "<") lower(value, true);
    if (op == "<=") lower(value, false);
    if (op == "==") {
      raise(value, false);
      lower(value, false);
    }
  };
  collect(*root_);
  for (const auto& [metric, b] : bounds) {
    if (b.lo > b.hi || (b.lo == b.hi && (b.lo_strict || b.hi_strict))) {
      return fmt::format("no value of {} satisfies all of its bounds ({} {:g} and {} {:g})", metric,
                         b.lo_strict ? ">" : ">=", b.lo, b.hi_strict ? "<" : "<=", b.hi);
    }
  }
  return std::nullopt;
}

ValueType Expression::type() const { return root_->type; }
const std::vector<std::string>& Expression::metrics() const { return metrics_; }
std::string Expression::ToString() const { return Print(*root_); }

Result<Truth> Expression::EvaluateCondition(const MetricLookup& metrics) const {
  RSF_CHECK(type() == ValueType::kBool);
  Evaluator ev(metrics, where_);
  RSF_ASSIGN_OR_RETURN(Val v, ev.Eval(*root_));
  if (v.kind == Val::Kind::kUnknown) return Truth::kUnknown;
  return v.boolean ? Truth::kTrue : Truth::kFalse;
}

Result<std::optional<double>> Expression::EvaluateNumber(const MetricLookup& metrics) const {
  RSF_CHECK(type() == ValueType::kNumber);
  Evaluator ev(metrics, where_);
  RSF_ASSIGN_OR_RETURN(Val v, ev.Eval(*root_));
  if (v.kind == Val::Kind::kUnknown) return std::optional<double>();
  return std::optional<double>(v.number);
}

}  // namespace rsf::policy
