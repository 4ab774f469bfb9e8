module kfaas.dev/test-infra/pause

go 1.22
