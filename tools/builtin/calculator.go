package builtin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/plait-ai/plait/tools"
)

// MaxExpressionLen is the longest expression the calculator accepts, in
// bytes.
const MaxExpressionLen = 1000

// maxNodes bounds the size of an expression's syntax tree.
const maxNodes = 300

// CalculatorInput is the calculator's argument.
type CalculatorInput struct {
	Expression string `json:"expression" jsonschema:"maxLength=1000,description=An arithmetic expression: numbers\\, + - * / ** (or ^ for power)\\, parentheses\\, the constants pi and e\\, and the functions abs sqrt cbrt exp log log2 log10 pow mod hypot sin cos tan asin acos atan atan2 sinh cosh tanh floor ceil round trunc min max. Example: sqrt(2) * (3 + 4) ** 2"`
}

// CalculatorOutput is the calculator's result.
type CalculatorOutput struct {
	Expression string  `json:"expression"`
	Result     float64 `json:"result"`
}

var calcFuncs = map[string]any{
	"abs": math.Abs, "sqrt": math.Sqrt, "cbrt": math.Cbrt, "exp": math.Exp,
	"log": math.Log, "log2": math.Log2, "log10": math.Log10, "pow": math.Pow,
	"mod": math.Mod, "hypot": math.Hypot, "sin": math.Sin, "cos": math.Cos,
	"tan": math.Tan, "asin": math.Asin, "acos": math.Acos, "atan": math.Atan,
	"atan2": math.Atan2, "sinh": math.Sinh, "cosh": math.Cosh, "tanh": math.Tanh,
	"floor": math.Floor, "ceil": math.Ceil, "round": math.Round, "trunc": math.Trunc,
	"min": func(x float64, more ...float64) float64 {
		for _, y := range more {
			x = math.Min(x, y)
		}
		return x
	},
	"max": func(x float64, more ...float64) float64 {
		for _, y := range more {
			x = math.Max(x, y)
		}
		return x
	},
}

var calcConsts = map[string]float64{"pi": math.Pi, "e": math.E}

var calcOps = []string{"+", "-", "*", "/", "**", "^"}

// Calculator returns the calculator tool. It evaluates arithmetic with
// github.com/expr-lang/expr restricted to numbers, the operators + - * /
// ** ^, parentheses, the constants pi and e and a fixed set of math
// functions: every other construct (strings, variables, member access,
// method calls, arrays, maps, closures, pipes, comparisons, expr's
// built-in functions) is rejected before evaluation, so nothing else is
// reachable, and the expression's length and size are bounded. Numbers are
// float64; a result that is not finite is an error.
func Calculator() tools.Tool {
	return tools.MustFunc("calculator", "Evaluates an arithmetic expression and returns its value.",
		func(ctx context.Context, in CalculatorInput) (CalculatorOutput, error) {
			v, err := Evaluate(in.Expression)
			if err != nil {
				return CalculatorOutput{}, err
			}
			return CalculatorOutput{Expression: in.Expression, Result: v}, nil
		}, tools.Timeout(2*time.Second), tools.Inline())
}

// Evaluate computes an arithmetic expression as the calculator tool does.
func Evaluate(expression string) (float64, error) {
	if strings.TrimSpace(expression) == "" {
		return 0, errors.New("calculator: the expression is empty")
	}
	if len(expression) > MaxExpressionLen {
		return 0, fmt.Errorf("calculator: the expression is %d bytes long; the limit is %d", len(expression), MaxExpressionLen)
	}
	guard := &arithmeticOnly{}
	env := make(map[string]any, len(calcFuncs)+len(calcConsts))
	for k, v := range calcFuncs {
		env[k] = v
	}
	for k, v := range calcConsts {
		env[k] = v
	}
	prog, err := expr.Compile(expression, expr.Env(env), expr.DisableAllBuiltins(), expr.MaxNodes(maxNodes), expr.Patch(guard), expr.AsFloat64())
	if guard.err == nil {
		for id := range guard.uncalled {
			guard.fail("%s is a function: call it, as in %s(x)", id.Value, id.Value)
			break
		}
	}
	if guard.err != nil {
		return 0, guard.err
	}
	if err != nil {
		return 0, fmt.Errorf("calculator: %v", firstLine(err.Error()))
	}
	out, err := runSafely(prog, env)
	if err != nil {
		return 0, fmt.Errorf("calculator: %v", firstLine(err.Error()))
	}
	f, ok := out.(float64)
	if !ok {
		return 0, fmt.Errorf("calculator: the result is not a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("calculator: the result is not a finite number (%v)", f)
	}
	return f, nil
}

func runSafely(prog *vm.Program, env map[string]any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("evaluation failed: %v", r)
		}
	}()
	return expr.Run(prog, env)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// arithmeticOnly rejects every node but numbers, arithmetic and calls of
// the math functions, and turns integers into floats so that arithmetic
// never wraps around.
type arithmeticOnly struct {
	err      error
	uncalled map[*ast.IdentifierNode]bool // function names not (yet) seen as a callee
}

func (g *arithmeticOnly) fail(format string, args ...any) {
	if g.err == nil {
		g.err = fmt.Errorf("calculator: "+format, args...)
	}
}

// Visit checks one node; expr calls it for every node, children first.
func (g *arithmeticOnly) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.FloatNode:
	case *ast.IntegerNode:
		ast.Patch(node, &ast.FloatNode{Value: float64(n.Value)})
	case *ast.UnaryNode:
		if n.Operator != "-" && n.Operator != "+" {
			g.fail("the operator %q is not arithmetic", n.Operator)
		}
	case *ast.BinaryNode:
		if !slices.Contains(calcOps, n.Operator) {
			if n.Operator == "%" {
				g.fail("use mod(a, b) for the remainder")
				return
			}
			g.fail("the operator %q is not allowed: use + - * / ** ^", n.Operator)
		}
	case *ast.IdentifierNode:
		if _, ok := calcConsts[n.Value]; ok {
			return
		}
		if _, ok := calcFuncs[n.Value]; ok {
			if g.uncalled == nil {
				g.uncalled = map[*ast.IdentifierNode]bool{}
			}
			g.uncalled[n] = true // the call that follows clears it
			return
		}
		g.fail("unknown name %q: the constants are pi and e", n.Value)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			g.fail("only the math functions can be called")
			return
		}
		if _, ok := calcFuncs[id.Value]; !ok {
			g.fail("unknown function %q", id.Value)
		}
		delete(g.uncalled, id)
	default:
		g.fail("%s is not allowed in an arithmetic expression", describeNode(n))
	}
}

func describeNode(n ast.Node) string {
	switch n.(type) {
	case *ast.StringNode, *ast.BytesNode:
		return "a string"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NilNode:
		return "nil"
	case *ast.MemberNode, *ast.ChainNode:
		return "member access"
	case *ast.ArrayNode, *ast.SliceNode:
		return "an array"
	case *ast.MapNode, *ast.PairNode:
		return "a map"
	case *ast.BuiltinNode, *ast.PredicateNode, *ast.PointerNode:
		return "a built-in function"
	case *ast.ConditionalNode:
		return "a conditional"
	case *ast.VariableDeclaratorNode:
		return "a variable"
	}
	return fmt.Sprintf("%T", n)
}
