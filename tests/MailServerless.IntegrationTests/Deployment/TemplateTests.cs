using System.Reflection;
using System.Text.Json;
using MailServerless.Aws;
using MailServerless.Core.Configuration;
using MailServerless.Core.Queue;
using MailServerless.EdgeServer.Hosting;
using MailServerless.Hosting.Settings;
using MailServerless.Functions.Outbound;
using MailServerless.Testing;
using YamlDotNet.RepresentationModel;

namespace MailServerless.IntegrationTests.Deployment;

/// <summary>
/// template.yaml checked without AWS: resource types and properties against CloudFormation's resource
/// specification (npm's @aws-cdk/cfnspec, which tests/run.sh installs; MAILSERVERLESS_TEST_CFNSPEC), every
/// reference resolved, every handler and setting present in the build, and the queue rules Lambda needs.
/// </summary>
public sealed class TemplateTests
{
    private const string SpecVariable = "MAILSERVERLESS_TEST_CFNSPEC";

    /// <summary>SAM's own resource types (the transform turns them into CloudFormation's).</summary>
    private static readonly Dictionary<string, string[]> SamTypes = new()
    {
        ["AWS::Serverless::Function"] = ["Arn"],
        ["AWS::Serverless::HttpApi"] = ["ApiEndpoint"],
        ["AWS::Serverless::Api"] = ["RootResourceId"],
        ["AWS::Serverless::LayerVersion"] = [],
        ["AWS::Serverless::SimpleTable"] = [],
        ["AWS::Serverless::Application"] = [],
        ["AWS::Serverless::StateMachine"] = ["Arn", "Name"],
    };

    private static readonly string[] PseudoParameters =
        ["AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"];

    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(Repository.Root, "template.yaml"));

    private static JsonElement Specification()
    {
        var path = Environment.GetEnvironmentVariable(SpecVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{SpecVariable} is not set: run the tests with tests/run.sh, which installs @aws-cdk/cfnspec.");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("ResourceTypes").Clone();
    }

    [Fact]
    public void Every_resource_type_and_property_exists_in_cloudformations_specification_or_is_a_sam_type()
    {
        var spec = Specification();
        foreach (var (name, type, node) in Template.Resources)
        {
            if (SamTypes.ContainsKey(type))
            {
                continue;
            }

            Assert.True(spec.TryGetProperty(type, out var definition), $"{name}: {type} is not a CloudFormation resource type");
            if (SamTemplate.Child(node, "Properties") is YamlMappingNode properties)
            {
                var known = definition.GetProperty("Properties");
                foreach (var property in properties.Children.Keys.Select(k => ((YamlScalarNode)k).Value!))
                {
                    Assert.True(known.TryGetProperty(property, out _), $"{name}: {type} has no property {property}");
                }
            }
        }
    }

    [Fact]
    public void Every_ref_getatt_and_sub_resolves_to_a_parameter_a_resource_or_an_attribute_it_has()
    {
        var spec = Specification();
        var resources = Template.Resources.ToDictionary(r => r.Name, r => r.Type);
        var parameters = Template.Parameters.ToHashSet();
        var references = Template.References().ToList();
        Assert.NotEmpty(references);
        foreach (var (kind, target, attribute) in references)
        {
            if (attribute is null)
            {
                Assert.True(parameters.Contains(target) || resources.ContainsKey(target) || PseudoParameters.Contains(target),
                    $"{kind} {target}: no such parameter or resource");
                continue;
            }

            Assert.True(resources.TryGetValue(target, out var type), $"{kind} {target}.{attribute}: no such resource");
            var attributes = SamTypes.TryGetValue(type!, out var sam)
                ? sam
                : spec.GetProperty(type!).TryGetProperty("Attributes", out var a) ? a.EnumerateObject().Select(p => p.Name).ToArray() : [];
            Assert.True(attributes.Contains(attribute), $"{kind} {target}.{attribute}: {type} has no attribute {attribute}");
        }
    }

    [Fact]
    public void Every_handler_named_exists_in_the_build_with_a_stream_signature()
    {
        var functions = Template.Resources.Where(r => r.Type == "AWS::Serverless::Function").ToList();
        Assert.Equal(3, functions.Count);
        foreach (var (name, _, node) in functions)
        {
            var handler = SamTemplate.Scalar(SamTemplate.Child(node, "Properties")!, "Handler")!;
            if (handler == "run.sh")
            {
                // The Web Adapter's start script, shipped beside the binary.
                Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "run.sh")), $"{name}: run.sh is not in the build output");
                continue;
            }

            var parts = handler.Split("::");
            Assert.Equal(3, parts.Length);
            var assembly = Assembly.Load(parts[0]);
            var type = assembly.GetType(parts[1]);
            Assert.True(type is not null, $"{name}: no type {parts[1]} in {parts[0]}");
            Assert.NotNull(type.GetConstructor(Type.EmptyTypes));
            var method = type.GetMethod(parts[2]);
            Assert.True(method is not null, $"{name}: no method {parts[2]} on {parts[1]}");
            Assert.Equal(typeof(Stream), Assert.Single(method.GetParameters()).ParameterType);
            Assert.Equal(typeof(Task<Stream>), method.ReturnType);
        }
    }

    [Fact]
    public void Every_setting_the_template_gives_exists_in_the_configuration()
    {
        var settings = SamTemplate.Descendants(Template.Root)
            .OfType<YamlMappingNode>()
            .Where(m => m.Children.Keys.OfType<YamlScalarNode>().Any(k => k.Value!.StartsWith("Mail__", StringComparison.Ordinal)))
            .SelectMany(m => m.Children.Keys.Select(k => ((YamlScalarNode)k).Value!))
            .Concat(UserDataSettings())
            .Distinct()
            .ToList();
        Assert.Contains("Mail__Queue__InboundUrl", settings);
        Assert.Contains("Mail__Directory__ConnectionString", settings);
        foreach (var setting in settings)
        {
            if (!setting.StartsWith("Mail__", StringComparison.Ordinal))
            {
                Assert.True(setting.StartsWith("AWS_", StringComparison.Ordinal), $"unknown environment variable {setting}");
                continue;
            }

            var key = setting.Replace("__", ":", StringComparison.Ordinal);
            Assert.True(EdgeSettings.Catalog.Find(key) is not null, $"{setting} is not a setting of this build");
        }
    }

    /// <summary>The edge server's settings written into its environment file by the user data.</summary>
    private static IEnumerable<string> UserDataSettings() => UserDataLines().Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]);

    private static IEnumerable<string> UserDataLines()
    {
        var instance = Template.Resources.Single(r => r.Type == "AWS::EC2::Instance").Node;
        var userData = SamTemplate.Descendants(instance).OfType<YamlScalarNode>().Single(s => s.Value!.Contains("mailserverless.env", StringComparison.Ordinal)).Value!;
        return userData.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Mail__", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_mail_listener_of_the_edge_is_open_in_its_security_group()
    {
        var ports = UserDataLines()
            .Where(l => l.StartsWith("Mail__Listeners__", StringComparison.Ordinal) && !l.StartsWith("Mail__Listeners__Address", StringComparison.Ordinal) &&
                        !l.StartsWith("Mail__Listeners__Http", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..])
            .ToList();
        var group = Template.Resources.Single(r => r.Type == "AWS::EC2::SecurityGroup" && r.Name == "EdgeSecurityGroup").Node;
        var open = ((YamlSequenceNode)SamTemplate.Child(SamTemplate.Child(group, "Properties")!, "SecurityGroupIngress")!).Children
            .Select(rule => SamTemplate.Scalar(rule, "FromPort"))
            .ToList();

        Assert.Contains("4190", ports); // ManageSieve, for mail clients' filter editors
        Assert.All(ports, port => Assert.Contains(port, open));
    }

    [Fact]
    public void Queues_outlast_six_function_timeouts_redrive_after_several_receives_and_triggers_report_partial_failures()
    {
        var resources = Template.Resources.ToDictionary(r => r.Name, r => r.Node);
        var globalTimeout = SamTemplate.Scalar(SamTemplate.Child(SamTemplate.Child(Template.Root, "Globals")!, "Function")!, "Timeout")!;
        var triggers = 0;
        foreach (var (name, _, node) in Template.Resources.Where(r => r.Type == "AWS::Serverless::Function"))
        {
            var timeout = int.Parse(SamTemplate.Scalar(SamTemplate.Child(node, "Properties")!, "Timeout") ?? globalTimeout, System.Globalization.CultureInfo.InvariantCulture);
            foreach (var trigger in ((YamlMappingNode?)SamTemplate.Child(SamTemplate.Child(node, "Properties")!, "Events"))?.Children.Values ?? [])
            {
                if (SamTemplate.Scalar(trigger, "Type") != "SQS")
                {
                    continue;
                }

                triggers++;
                var properties = SamTemplate.Child(trigger, "Properties")!;
                Assert.Contains("ReportBatchItemFailures", ((YamlSequenceNode)SamTemplate.Child(properties, "FunctionResponseTypes")!).Select(n => ((YamlScalarNode)n).Value));
                var queueName = ((YamlScalarNode)SamTemplate.Child(properties, "Queue")!).Value!.Split('.')[0];
                var queue = SamTemplate.Child(resources[queueName], "Properties")!;
                Assert.True(int.Parse(SamTemplate.Scalar(queue, "VisibilityTimeout")!, System.Globalization.CultureInfo.InvariantCulture) >= 6 * timeout,
                    $"{name}: {queueName}'s visibility timeout is under 6 × {timeout} s");
                var redrive = SamTemplate.Child(queue, "RedrivePolicy")!;
                Assert.True(int.Parse(SamTemplate.Scalar(redrive, "maxReceiveCount")!, System.Globalization.CultureInfo.InvariantCulture) >= 5);
            }
        }

        Assert.Equal(2, triggers);
    }

    [Fact]
    public void A_required_parameter_left_empty_is_refused_at_deploy_time()
    {
        foreach (var parameter in Template.Section("Parameters").Children)
        {
            var node = parameter.Value;
            var type = SamTemplate.Scalar(node, "Type");
            if (type != "String" || SamTemplate.Child(node, "Default") is not null)
            {
                continue;
            }

            var constrained = SamTemplate.Scalar(node, "AllowedPattern") is not null ||
                              int.TryParse(SamTemplate.Scalar(node, "MinLength"), out var min) && min > 0 ||
                              SamTemplate.Child(node, "AllowedValues") is not null;
            Assert.True(constrained, $"{((YamlScalarNode)parameter.Key).Value}: an empty value would deploy a broken stack");
            Assert.NotNull(SamTemplate.Scalar(node, "ConstraintDescription"));
        }
    }

    [Fact]
    public void Samconfig_has_a_default_environment_with_stack_region_capabilities_and_a_changeset_to_confirm()
    {
        var lines = File.ReadAllLines(Path.Combine(Repository.Root, "samconfig.toml"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        string? Value(string section, string key) =>
            lines.SkipWhile(l => l != $"[{section}]").Skip(1).TakeWhile(l => !l.StartsWith('[')).Where(l => l.StartsWith(key + " =", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim().Trim('"')).FirstOrDefault();

        Assert.Equal("0.1", Value("", "version") ?? lines.Single(l => l.StartsWith("version", StringComparison.Ordinal)).Split('=')[1].Trim());
        Assert.Equal("mailserverless", Value("default.global.parameters", "stack_name"));
        Assert.Matches("^[a-z]{2}-[a-z]+-[0-9]$", Value("default.global.parameters", "region"));
        Assert.Contains("CAPABILITY_IAM", Value("default.deploy.parameters", "capabilities"), StringComparison.Ordinal);
        Assert.Equal("true", Value("default.deploy.parameters", "confirm_changeset"));
        var overrides = Value("default.deploy.parameters", "parameter_overrides")!;
        Assert.All(overrides.Split(' ').Select(o => o.Split('=')[0]), name => Assert.Contains(name, Template.Parameters));
    }
}
