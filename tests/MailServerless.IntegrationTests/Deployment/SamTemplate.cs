using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace MailServerless.IntegrationTests.Deployment;

/// <summary>template.yaml as YAML nodes, with CloudFormation's intrinsic functions in both forms (<c>!Ref x</c>, <c>{Ref: x}</c>).</summary>
internal sealed partial class SamTemplate
{
    private SamTemplate(YamlMappingNode root) => Root = root;

    public YamlMappingNode Root { get; }

    public static SamTemplate Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return new SamTemplate((YamlMappingNode)stream.Documents[0].RootNode);
    }

    public YamlMappingNode Section(string name) => (YamlMappingNode)Root.Children[new YamlScalarNode(name)];

    public IEnumerable<(string Name, string Type, YamlMappingNode Node)> Resources =>
        Section("Resources").Children.Select(e => (((YamlScalarNode)e.Key).Value!, Scalar(e.Value, "Type")!, (YamlMappingNode)e.Value));

    public IEnumerable<string> Parameters => Section("Parameters").Children.Keys.Select(k => ((YamlScalarNode)k).Value!);

    public static string? Scalar(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    public static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    /// <summary>Every node below <paramref name="node"/>, itself included.</summary>
    public static IEnumerable<YamlNode> Descendants(YamlNode node) => node.AllNodes;

    /// <summary>The names every Ref, GetAtt and Sub in the template points at: (kind, target, attribute).</summary>
    public IEnumerable<(string Kind, string Target, string? Attribute)> References()
    {
        foreach (var node in Descendants(Root))
        {
            var tag = node.Tag.IsEmpty ? null : node.Tag.Value;
            switch (tag, node)
            {
                case ("!Ref", YamlScalarNode scalar):
                    yield return ("Ref", scalar.Value!, null);
                    break;
                case ("!GetAtt", YamlScalarNode scalar):
                    var dot = scalar.Value!.IndexOf('.', StringComparison.Ordinal);
                    yield return ("GetAtt", scalar.Value[..dot], scalar.Value[(dot + 1)..]);
                    break;
                case ("!Sub", YamlScalarNode scalar):
                    foreach (var variable in SubVariables(scalar.Value!))
                    {
                        yield return variable;
                    }

                    break;
                case ("!Sub", YamlSequenceNode pair):
                    // The second item names variables of the Sub's own; every other one must resolve.
                    var own = ((YamlMappingNode)pair[1]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet(StringComparer.Ordinal);
                    foreach (var variable in SubVariables(((YamlScalarNode)pair[0]).Value!).Where(v => !own.Contains(v.Target)))
                    {
                        yield return variable;
                    }

                    break;
            }

            if (node is YamlMappingNode map && map.Children.Count == 1)
            {
                var (key, value) = map.Children.First();
                switch (((YamlScalarNode)key).Value, value)
                {
                    case ("Ref", YamlScalarNode target):
                        yield return ("Ref", target.Value!, null);
                        break;
                    case ("Fn::GetAtt", YamlSequenceNode pair):
                        yield return ("GetAtt", ((YamlScalarNode)pair[0]).Value!, ((YamlScalarNode)pair[1]).Value);
                        break;
                    case ("Fn::Sub", YamlScalarNode text):
                        foreach (var variable in SubVariables(text.Value!))
                        {
                            yield return variable;
                        }

                        break;
                }
            }
        }
    }

    private static IEnumerable<(string Kind, string Target, string? Attribute)> SubVariables(string text)
    {
        foreach (Match match in SubVariable().Matches(text))
        {
            var name = match.Groups[1].Value;
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            yield return dot < 0 ? ("Sub", name, null) : ("Sub", name[..dot], name[(dot + 1)..]);
        }
    }

    /// <summary><c>${Name}</c> or <c>${Resource.Attribute}</c>, not the literal <c>${!...}</c>.</summary>
    [GeneratedRegex(@"\$\{(?!!)([A-Za-z0-9:._]+)\}")]
    private static partial Regex SubVariable();
}
