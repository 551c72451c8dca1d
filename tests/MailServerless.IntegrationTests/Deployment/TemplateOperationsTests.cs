using MailServerless.Functions.Outbound;
using MailServerless.Testing;
using Microsoft.Extensions.Configuration;
using YamlDotNet.RepresentationModel;

namespace MailServerless.IntegrationTests.Deployment;

/// <summary>
/// What a first <c>sam deploy</c> of template.yaml does on AWS, checked here by rendering the template for given
/// parameters (<see cref="TemplateEvaluator"/>): the relay's port per mode, the rule against SES without
/// credentials, the edge's creation signal, the directory's ingress, the endpoints that keep traffic off the NAT
/// gateway, bounded concurrency, log retention, the alarms and the bucket's lifecycle.
/// </summary>
public sealed class TemplateOperationsTests
{
    private const string SecretArn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:relay-AbCdEf";

    private static readonly SamTemplate Template = SamTemplate.Load(Path.Combine(Repository.Root, "template.yaml"));

    private static TemplateEvaluator Render(params (string Name, string Value)[] parameters) =>
        new(Template, parameters.ToDictionary(p => p.Name, p => p.Value));

    private static YamlMappingNode Resource(string name) => Template.Resources.Single(r => r.Name == name).Node;

    private static YamlNode Properties(string name) => SamTemplate.Child(Resource(name), "Properties")!;

    /// <summary>The relay function's settings as the running function binds them.</summary>
    private static RelayOptions RelaySettings(TemplateEvaluator rendered)
    {
        var environment = rendered.Environment("RelayOutboundFunction");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();
        return configuration.GetSection("Mail:Relay").Get<RelayOptions>() ?? new RelayOptions();
    }

    [Fact]
    public void Direct_mode_sends_to_each_mx_on_port_25_and_smarthost_mode_to_ses_on_587()
    {
        var direct = RelaySettings(Render(("RelayMode", "Direct")));
        Assert.Equal(RelayMode.Direct, direct.Mode);
        Assert.Equal(25, direct.EffectivePort);
        Assert.Empty(direct.Username);

        var ses = RelaySettings(Render(("RelayMode", "Smarthost"), ("RelayCredentialsSecretArn", SecretArn)));
        Assert.Equal(RelayMode.Smarthost, ses.Mode);
        Assert.Equal("email-smtp.ap-northeast-1.amazonaws.com", ses.Host);
        Assert.Equal(587, ses.EffectivePort);
        Assert.Equal($"ssm:/aws/reference/secretsmanager/{SecretArn}#username", ses.Username);
        Assert.Equal($"ssm:/aws/reference/secretsmanager/{SecretArn}#password", ses.Password);

        var own = RelaySettings(Render(("RelayMode", "Smarthost"), ("RelayHost", "relay.example.net")));
        Assert.Equal("relay.example.net", own.Host);
        Assert.Equal(587, own.EffectivePort);
    }

    [Fact]
    public void Ses_without_credentials_is_refused_by_a_rule_before_anything_is_made()
    {
        Assert.Equal(["SesNeedsCredentials"], Render(("RelayMode", "Smarthost")).FailedRules());
        Assert.Empty(Render(("RelayMode", "Smarthost"), ("RelayCredentialsSecretArn", SecretArn)).FailedRules());
        Assert.Empty(Render(("RelayMode", "Smarthost"), ("RelayHost", "relay.internal.example")).FailedRules());
        Assert.Empty(Render(("RelayMode", "Direct")).FailedRules());
        // The default deploy is Smarthost to SES: the rule is what stops a stack that would bounce everything.
        Assert.Equal("Smarthost", SamTemplate.Scalar(Template.Section("Parameters").Children[new YamlScalarNode("RelayMode")], "Default"));
    }

    [Fact]
    public void Rules_use_only_the_functions_cloudformation_allows_in_assertions()
    {
        // CloudFormation's rule functions (Rules section reference); !If, !Sub and !GetAtt are not among them.
        string[] allowed = ["!And", "!Contains", "!EachMemberEquals", "!EachMemberIn", "!Equals", "!Not", "!Or", "!Ref", "!RefAll", "!ValueOf", "!ValueOfAll"];
        var tags = SamTemplate.Descendants(Template.Section("Rules")).Where(n => !n.Tag.IsEmpty).Select(n => n.Tag.Value).Distinct().ToList();
        Assert.NotEmpty(tags);
        Assert.All(tags, tag => Assert.Contains(tag, allowed));
    }

    [Fact]
    public async Task The_edge_signals_success_only_after_health_answers_and_installs_only_al2023_packages()
    {
        var policy = SamTemplate.Child(SamTemplate.Child(Resource("EdgeInstance"), "CreationPolicy")!, "ResourceSignal")!;
        Assert.Equal("1", SamTemplate.Scalar(policy, "Count"));
        Assert.Matches("^PT[0-9]+M$", SamTemplate.Scalar(policy, "Timeout"));
        // The Elastic IP comes after the signal, so the instance needs an address of its own to reach dnf, S3 and CloudFormation.
        var nic = ((YamlSequenceNode)SamTemplate.Child(Properties("EdgeInstance"), "NetworkInterfaces")!).Single();
        Assert.Equal("true", SamTemplate.Scalar(nic, "AssociatePublicIpAddress"));
        Assert.Equal("EdgeSubnetId", SamTemplate.Scalar(nic, "SubnetId"));

        var script = UserData(Render(("MailHostName", "mail.example.jp"), ("SuperadminPasswordSecretArn", SecretArn)));
        var lines = script.Split('\n').Select(l => l.Trim()).ToList();
        Assert.Equal("#!/bin/bash", lines[0]);
        Assert.Contains("set -euo pipefail", lines);
        Assert.Contains("trap 'signal 1' ERR", lines);
        Assert.Contains(lines, l => l.Contains("cfn-signal -e \"$1\" --stack mailserverless --resource EdgeInstance --region ap-northeast-1", StringComparison.Ordinal));
        var health = lines.FindIndex(l => l.StartsWith("if curl", StringComparison.Ordinal) && l.Contains("127.0.0.1:8080/health", StringComparison.Ordinal));
        var success = lines.IndexOf("signal 0");
        Assert.True(health > 0 && success > health, "cfn-signal success must follow a /health answer");
        var start = lines.IndexOf("systemctl enable --now --no-block mailserverless mailserverless-health.timer");
        Assert.True(start > 0 && start < health, "the service starts before the health loop");

        // The release is self-contained, so the only packages are ones AL2023's repository has (none of .NET's).
        string[] al2023 = ["amazon-efs-utils", "aws-cfn-bootstrap", "libicu"];
        var install = Assert.Single(lines, l => l.StartsWith("dnf install", StringComparison.Ordinal));
        Assert.All(install.Split(' ').Skip(3), package => Assert.Contains(package, al2023));
        Assert.Contains("ExecStart=/opt/mailserverless/current/MailServerless.EdgeServer", lines);
        var guide = File.ReadAllText(Path.Combine(Repository.Root, "docs", "deploy-aws.md"));
        Assert.Contains("-r linux-x64 --self-contained true", guide, StringComparison.Ordinal);

        // The superadmin comes from its secret on standard input, never from the command line or the log.
        Assert.Contains(lines, l => l.Contains("setup --superadmin \"admin@mail.example.jp\"", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("--password", StringComparison.Ordinal));

        // And the script is valid shell.
        var file = Path.Combine(Path.GetTempPath(), $"msl-userdata-{Guid.NewGuid():N}.sh");
        File.WriteAllText(file, script);
        try
        {
            var check = await ProcessRunner.RunAsync("bash", ["-n", file]);
            Assert.True(check.ExitCode == 0, check.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_lambda_functions_are_given_only_settings_the_lambda_host_knows()
    {
        // The Lambda host checks its settings against the functions' catalogue (no SMTP/IMAP sections): a key only the
        // edge knows would stop the function at its first invocation.
        var rendered = Render(("RelayMode", "Smarthost"), ("RelayCredentialsSecretArn", SecretArn));
        var lambdas = Template.Resources.Where(r => r.Type == "AWS::Serverless::Function" &&
            SamTemplate.Scalar(SamTemplate.Child(r.Node, "Properties")!, "Handler")!.StartsWith("MailServerless.Lambda::", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lambdas.Count);
        foreach (var (name, _, _) in lambdas)
        {
            foreach (var key in rendered.Environment(name).Keys.Where(k => k.StartsWith("Mail__", StringComparison.Ordinal)))
            {
                Assert.True(MailServerless.Hosting.Settings.SettingsCatalog.Functions.Find(key.Replace("__", ":", StringComparison.Ordinal)) is not null,
                    $"{name}: {key} is not a setting the Lambda host knows");
            }
        }
    }

    [Fact]
    public void No_password_is_written_into_an_environment_variable_or_the_edges_environment_file()
    {
        var rendered = Render(("RelayMode", "Smarthost"), ("RelayCredentialsSecretArn", SecretArn), ("DirectoryPasswordSecretArn", SecretArn));
        foreach (var function in Template.Resources.Where(r => r.Type == "AWS::Serverless::Function").Select(r => r.Name))
        {
            foreach (var (name, value) in rendered.Environment(function))
            {
                Assert.DoesNotContain("{{resolve:", value, StringComparison.Ordinal);
                Assert.False(name.Contains("Password", StringComparison.Ordinal) && !value.StartsWith("ssm:", StringComparison.Ordinal), $"{function}: {name}");
            }

            Assert.Equal($"ssm:/aws/reference/secretsmanager/{SecretArn}#password", rendered.Environment(function)["Mail__Directory__Password"]);
            Assert.Equal("false", rendered.Environment(function)["Mail__Admin__GenerateSuperadmin"]);
        }

        var script = UserData(rendered);
        Assert.DoesNotContain("Password=$", script, StringComparison.Ordinal);
        Assert.Contains($"Mail__Directory__Password=ssm:/aws/reference/secretsmanager/{SecretArn}#password", script, StringComparison.Ordinal);
        Assert.Contains("Mail__Admin__GenerateSuperadmin=false", script, StringComparison.Ordinal);
    }

    [Fact]
    public void The_directory_security_group_lets_the_functions_and_the_edge_in_on_the_directory_port()
    {
        var sources = new List<string>();
        foreach (var (name, _, node) in Template.Resources.Where(r => r.Type == "AWS::EC2::SecurityGroupIngress"))
        {
            var properties = SamTemplate.Child(node, "Properties")!;
            if (SamTemplate.Scalar(properties, "GroupId") != "DirectorySecurityGroupId")
            {
                continue;
            }

            Assert.Equal("HasDirectorySecurityGroup", SamTemplate.Scalar(node, "Condition"));
            Assert.Equal("tcp", SamTemplate.Scalar(properties, "IpProtocol"));
            Assert.Equal("DirectoryPort", SamTemplate.Scalar(properties, "FromPort"));
            Assert.Equal("DirectoryPort", SamTemplate.Scalar(properties, "ToPort"));
            sources.Add(SamTemplate.Scalar(properties, "SourceSecurityGroupId")!);
        }

        Assert.Equal(["EdgeSecurityGroup", "FunctionSecurityGroup"], sources.Order());
        Assert.True(Render(("DirectorySecurityGroupId", "sg-0123abcd")).Condition("HasDirectorySecurityGroup"));
        Assert.False(Render().Condition("HasDirectorySecurityGroup"));
    }

    [Fact]
    public void Bodies_and_queue_calls_can_stay_off_the_nat_gateway()
    {
        var s3 = Properties("S3GatewayEndpoint");
        Assert.Equal("Gateway", SamTemplate.Scalar(s3, "VpcEndpointType"));
        Assert.Equal("com.amazonaws.ap-northeast-1.s3", Render().Value(SamTemplate.Child(s3, "ServiceName")!));
        Assert.Equal("PrivateRouteTableIds", SamTemplate.Scalar(s3, "RouteTableIds"));
        Assert.True(Render(("PrivateRouteTableIds", "rtb-1,rtb-2")).Condition("HasPrivateRouteTables"));

        var sqs = Properties("SqsInterfaceEndpoint");
        Assert.Equal("Interface", SamTemplate.Scalar(sqs, "VpcEndpointType"));
        Assert.Equal("com.amazonaws.ap-northeast-1.sqs", Render().Value(SamTemplate.Child(sqs, "ServiceName")!));
        Assert.Equal("true", SamTemplate.Scalar(sqs, "PrivateDnsEnabled"));
        Assert.Equal("SubnetIds", SamTemplate.Scalar(sqs, "SubnetIds"));
        Assert.Equal("WantsSqsEndpoint", SamTemplate.Scalar(Resource("SqsInterfaceEndpoint"), "Condition"));
        var https = ((YamlSequenceNode)SamTemplate.Child(Properties("SqsEndpointSecurityGroup"), "SecurityGroupIngress")!).ToList();
        Assert.All(https, rule => Assert.Equal("443", SamTemplate.Scalar(rule, "FromPort")));
        Assert.Equal(["EdgeSecurityGroup", "FunctionSecurityGroup"], https.Select(r => SamTemplate.Scalar(r, "SourceSecurityGroupId")!).Order());

        // What it costs, with each line's source.
        var guide = File.ReadAllText(Path.Combine(Repository.Root, "docs", "deploy-aws.md"));
        var costs = guide[guide.IndexOf("## What it costs", StringComparison.Ordinal)..];
        foreach (var item in new[] { "NAT gateway", "EFS", "Elastic IP", "Lambda", "SQS", "S3", "Backup" })
        {
            Assert.Contains(costs.Split('\n'), line => line.StartsWith('|') && line.Contains(item, StringComparison.Ordinal));
        }

        Assert.Contains("https://aws.amazon.com/vpc/pricing/", costs, StringComparison.Ordinal);
    }

    [Fact]
    public void Delivery_and_relay_run_at_most_the_configured_concurrency()
    {
        foreach (var (function, parameter) in new[] { ("DeliverInboundFunction", "DeliveryConcurrency"), ("RelayOutboundFunction", "RelayConcurrency") })
        {
            var properties = Properties(function);
            Assert.Equal(parameter, SamTemplate.Scalar(properties, "ReservedConcurrentExecutions"));
            var trigger = ((YamlMappingNode)SamTemplate.Child(properties, "Events")!).Children.Values.Single();
            var scaling = SamTemplate.Child(SamTemplate.Child(trigger, "Properties")!, "ScalingConfig")!;
            Assert.Equal(parameter, SamTemplate.Scalar(scaling, "MaximumConcurrency"));
            var declared = Template.Section("Parameters").Children[new YamlScalarNode(parameter)];
            // SQS event sources take 2 at least.
            Assert.True(TemplateEvaluator.Number(SamTemplate.Scalar(declared, "MinValue")!) >= 2);
        }
    }

    [Fact]
    public void Every_function_logs_to_a_group_that_keeps_logs_for_the_configured_days()
    {
        var retention = Template.Section("Parameters").Children[new YamlScalarNode("LogRetentionDays")];
        Assert.Equal("30", SamTemplate.Scalar(retention, "Default"));
        foreach (var (name, _, node) in Template.Resources.Where(r => r.Type == "AWS::Serverless::Function"))
        {
            var group = SamTemplate.Scalar(SamTemplate.Child(SamTemplate.Child(node, "Properties")!, "LoggingConfig")!, "LogGroup");
            Assert.True(group is not null, $"{name} has no LoggingConfig.LogGroup");
            Assert.Equal("AWS::Logs::LogGroup", SamTemplate.Scalar(Resource(group), "Type"));
            Assert.Equal("LogRetentionDays", SamTemplate.Scalar(Properties(group), "RetentionInDays"));
        }
    }

    [Fact]
    public void Alarms_watch_dead_letters_inbound_age_function_errors_and_the_edge_and_mail_the_topic()
    {
        var watched = new List<string>();
        foreach (var (name, _, node) in Template.Resources.Where(r => r.Type == "AWS::CloudWatch::Alarm"))
        {
            var properties = SamTemplate.Child(node, "Properties")!;
            var dimension = ((YamlSequenceNode)SamTemplate.Child(properties, "Dimensions")!).Single();
            watched.Add($"{SamTemplate.Scalar(properties, "MetricName")} {Render().Value(SamTemplate.Child(dimension, "Value")!)}");
            Assert.Equal("AlarmTopic", ((YamlScalarNode)((YamlSequenceNode)SamTemplate.Child(properties, "AlarmActions")!)[0]).Value);
            Assert.NotNull(SamTemplate.Scalar(properties, "TreatMissingData"));
        }

        Assert.Contains("ApproximateNumberOfMessagesVisible [InboundDeadLetters.QueueName]", watched);
        Assert.Contains("ApproximateNumberOfMessagesVisible [OutboundDeadLetters.QueueName]", watched);
        Assert.Contains("ApproximateAgeOfOldestMessage [InboundQueue.QueueName]", watched);
        Assert.Contains("Errors [DeliverInboundFunction]", watched);
        Assert.Contains("Errors [RelayOutboundFunction]", watched);
        Assert.Contains("StatusCheckFailed [EdgeInstance]", watched);
        Assert.Contains("EdgeHealthy mailserverless", watched);

        // The edge's heartbeat is what EdgeHealthy counts: sent by the health timer, allowed by the edge's role.
        var script = UserData(Render(("MailHostName", "mail.example.jp")));
        Assert.Contains("--namespace MailServerless --metric-name EdgeHealthy --dimensions Stack=mailserverless", script, StringComparison.Ordinal);
        Assert.Contains("cloudwatch:PutMetricData", SamTemplate.Descendants(Resource("EdgeRole")).OfType<YamlScalarNode>().Select(s => s.Value));

        var topic = Properties("AlarmTopic");
        Assert.Equal("HasAlarmEmail", ((YamlScalarNode)((YamlSequenceNode)SamTemplate.Child(topic, "Subscription")!)[0]).Value);
        Assert.True(Render(("AlarmEmail", "ops@example.jp")).Condition("HasAlarmEmail"));
    }

    [Fact]
    public void Only_leftover_bodies_and_marks_expire_so_held_mail_and_the_shared_certificate_stay()
    {
        var rules = ((YamlSequenceNode)SamTemplate.Child(SamTemplate.Child(Properties("MessageBodies"), "LifecycleConfiguration")!, "Rules")!).ToList();
        var expiring = rules.Where(r => SamTemplate.Scalar(r, "ExpirationInDays") is not null).ToList();
        Assert.Equal(["bodies/", "queued/"], expiring.Select(r => SamTemplate.Scalar(r, "Prefix")!).Order());
        // Bodies outlive their queue messages (14 days).
        Assert.All(expiring, r => Assert.True(TemplateEvaluator.Number(SamTemplate.Scalar(r, "ExpirationInDays")!) > 14));
        Assert.Contains(rules, r => SamTemplate.Child(r, "AbortIncompleteMultipartUpload") is not null);

        // The prefixes are the ones the code writes under.
        var aws = Path.Combine(Repository.Root, "functions", "MailServerless.Aws");
        Assert.Contains("Prefix = \"bodies/\"", File.ReadAllText(Path.Combine(aws, "S3BlobStore.cs")), StringComparison.Ordinal);
        Assert.Contains("$\"queued/{queue}/{id}\"", File.ReadAllText(Path.Combine(aws, "S3SeenIds.cs")), StringComparison.Ordinal);
    }

    private static string UserData(TemplateEvaluator rendered)
    {
        var userData = SamTemplate.Child(SamTemplate.Child(Properties("EdgeInstance"), "UserData")!, "Fn::Base64")!;
        return rendered.Value(userData);
    }
}
