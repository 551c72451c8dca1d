#!/bin/sh
# The admin API's Lambda handler: the AWS Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs this, then forwards each API Gateway request to the app on AWS_LWA_PORT (Mail__Listeners__Http).
exec dotnet "$(dirname "$0")/MailServerless.EdgeServer.dll"
