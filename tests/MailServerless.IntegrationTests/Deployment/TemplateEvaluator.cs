using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MailServerless.IntegrationTests.Deployment;

/// <summary>
/// What CloudFormation would make of parts of template.yaml for given parameter values: conditions, rules, and
/// values with <c>!Ref</c>, <c>!If</c>, <c>!Sub</c>, <c>!Equals</c>, <c>!Not</c>, <c>!And</c>, <c>!Or</c>, <c>!Join</c>
/// (enough for what the template computes from its parameters; resource attributes render as <c>[Name.Attr]</c>).
/// </summary>
internal sealed partial class TemplateEvaluator(SamTemplate template, IReadOnlyDictionary<string, string> parameters)
{
    /// <summary>The value <see cref="Value"/> gives for <c>!Ref AWS::NoValue</c>: the property is left out.</summary>
    public const string NoValue = "\u0000NoValue";

    public bool Condition(string name) =>
        Truth(template.Section("Conditions").Children[new YamlScalarNode(name)]);

    /// <summary>The names of the rules whose condition holds and one of whose assertions fails: the deploy is refused.</summary>
    public IReadOnlyList<string> FailedRules() =>
        template.Section("Rules").Children
            .Where(rule => SamTemplate.Child(rule.Value, "RuleCondition") is not { } condition || Truth(condition))
            .Where(rule => ((YamlSequenceNode)SamTemplate.Child(rule.Value, "Assertions")!).Any(a => !Truth(SamTemplate.Child(a, "Assert")!)))
            .Select(rule => ((YamlScalarNode)rule.Key).Value!)
            .ToList();

    /// <summary>A function's environment: the template's Globals, then its own variables (left-out ones removed).</summary>
    public IReadOnlyDictionary<string, string> Environment(string function)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var global = SamTemplate.Child(SamTemplate.Child(SamTemplate.Child(template.Section("Globals"), "Function")!, "Environment")!, "Variables")!;
        var resource = template.Resources.Single(r => r.Name == function).Node;
        var own = SamTemplate.Child(SamTemplate.Child(SamTemplate.Child(resource, "Properties")!, "Environment") ?? new YamlMappingNode(), "Variables");
        foreach (var variables in new[] { global, own }.OfType<YamlMappingNode>())
        {
            foreach (var (key, node) in variables.Children)
            {
                var value = Value(node);
                var name = ((YamlScalarNode)key).Value!;
                if (value == NoValue)
                {
                    result.Remove(name);
                }
                else
                {
                    result[name] = value;
                }
            }
        }

        return result;
    }

    public string Value(YamlNode node)
    {
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        switch (tag, node)
        {
            case ("!Ref", YamlScalarNode scalar):
                return Reference(scalar.Value!);
            case ("!Sub", YamlScalarNode scalar):
                return Substitute(scalar.Value!, new Dictionary<string, string>());
            case ("!Sub", YamlSequenceNode pair):
                var variables = ((YamlMappingNode)pair[1]).Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => Value(e.Value));
                return Substitute(((YamlScalarNode)pair[0]).Value!, variables);
            case ("!If", YamlSequenceNode choice):
                return Condition(((YamlScalarNode)choice[0]).Value!) ? Value(choice[1]) : Value(choice[2]);
            case ("!Join", YamlSequenceNode join):
                var parts = join[1] is YamlSequenceNode list ? list.Select(Value) : Value(join[1]).Split(',');
                return string.Join(((YamlScalarNode)join[0]).Value, parts);
            case ("!GetAtt", YamlScalarNode scalar):
                return $"[{scalar.Value}]";
            case (null, YamlScalarNode scalar):
                return scalar.Value!;
            default:
                return Truth(node) ? "true" : "false";
        }
    }

    private bool Truth(YamlNode node)
    {
        var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
        return (tag, node) switch
        {
            ("!Equals", YamlSequenceNode pair) => string.Equals(Value(pair[0]), Value(pair[1]), StringComparison.Ordinal),
            ("!Not", YamlSequenceNode one) => !Truth(one[0]),
            ("!And", YamlSequenceNode all) => all.All(Truth),
            ("!Or", YamlSequenceNode any) => any.Any(Truth),
            ("!Condition", YamlScalarNode name) => Condition(name.Value!),
            _ => throw new NotSupportedException($"not a condition: {tag} {node}"),
        };
    }

    private string Reference(string name) => name switch
    {
        "AWS::NoValue" => NoValue,
        "AWS::Region" => "ap-northeast-1",
        "AWS::Partition" => "aws",
        "AWS::URLSuffix" => "amazonaws.com",
        "AWS::StackName" => "mailserverless",
        "AWS::AccountId" => "123456789012",
        _ when parameters.TryGetValue(name, out var value) => value,
        _ when Default(name) is { } value => value,
        // A required parameter nobody gave: its name stands in.
        _ when template.Parameters.Contains(name) => $"<{name}>",
        _ when template.Resources.Any(r => r.Name == name) => $"[{name}]",
        _ => throw new KeyNotFoundException($"!Ref {name}: no such parameter or resource"),
    };

    private string? Default(string parameter) =>
        template.Section("Parameters").Children.TryGetValue(new YamlScalarNode(parameter), out var node) ? SamTemplate.Scalar(node, "Default") : null;

    private string Substitute(string text, Dictionary<string, string> variables) =>
        SubVariable().Replace(text, match =>
        {
            if (match.Value.StartsWith("${!", StringComparison.Ordinal))
            {
                return "${" + match.Value[3..];
            }

            var name = match.Groups[1].Value;
            return variables.TryGetValue(name, out var value) ? value
                : name.Contains('.', StringComparison.Ordinal) && !name.StartsWith("AWS::", StringComparison.Ordinal) ? $"[{name}]"
                : Reference(name);
        });

    [GeneratedRegex(@"\$\{!?([A-Za-z0-9:._]+)\}")]
    private static partial Regex SubVariable();

    public static int Number(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
