"""The command line: help, version, usage errors, unusable data dirs, and
LOGSVC_* environment variables (a flag wins over its variable)."""

import json
import os
import re
import subprocess
import unittest

from harness import REPO_ROOT, LogsvcTestCase, rocksdb_only, run_cli


def project_version():
    """The version CMakeLists.txt gives the project: what --version must print."""
    with open(os.path.join(REPO_ROOT, "CMakeLists.txt")) as f:
        match = re.search(r"project\(\s*logsvc\s+VERSION\s+([0-9][0-9.]*)", f.read())
    if not match:
        raise AssertionError("no project(logsvc VERSION ...) in CMakeLists.txt")
    return match.group(1)


class CliTest(LogsvcTestCase):

    def assertUsageError(self, args, env=None, mention=None):
        """Exit status 2, one line on stderr, nothing on stdout, never listening."""
        try:
            result = run_cli(args, env=env)
        except subprocess.TimeoutExpired:
            self.fail("logsvc %s did not exit (it should refuse before listening)" % args)
        stderr = result.stderr.decode("utf-8", "replace")
        self.assertEqual(result.returncode, 2, (args, stderr))
        self.assertEqual(result.stdout, b"", args)
        self.assertTrue(stderr.endswith("\n"), (args, stderr))
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1, (args, stderr))
        self.assertGreater(len(lines[0].strip()), 10, (args, stderr))
        self.assertNotIn("logsvc started", stderr)
        if mention:
            self.assertIn(mention, lines[0])
        return lines[0]

    def test_help(self):
        for args in (["--help"], ["-h"]):
            result = run_cli(args)
            self.assertEqual(result.returncode, 0, args)
            out = result.stdout.decode()
            self.assertIn("Usage", out)
            self.assertIn("serve", out)
        result = run_cli(["serve", "--help"])
        self.assertEqual(result.returncode, 0)
        out = result.stdout.decode()
        for flag in ("--listen", "--data-dir", "--threads", "--max-body-bytes", "--access-log",
                     "LOGSVC_MAX_BODY_BYTES", "--cors-origins", "LOGSVC_CORS_ORIGINS",
                     "--allowed-hosts", "LOGSVC_ALLOWED_HOSTS"):
            self.assertIn(flag, out)

    def test_version(self):
        result = run_cli(["--version"])
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout.decode().strip(), "logsvc " + project_version())

    def test_bad_flags_exit_2_with_one_line(self):
        data_dir = self.make_data_dir()
        serve = ["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir]
        cases = [
            ([], None),
            (["frobnicate"], None),
            (["--bogus"], None),
            (serve + ["--bogus"], "--bogus"),
            (serve + ["--threads", "0"], None),
            (serve + ["--threads", "many"], None),
            (serve + ["--threads", "257"], None),
            (serve + ["--max-body-bytes", str((64 << 20) + 1)], None),
            (serve + ["--max-body-bytes", "0"], None),
            (serve + ["--max-body-bytes", "-5"], None),
            (serve + ["--max-body-bytes", "lots"], None),
            (serve + ["--max-body-bytes"], None),
            (["serve", "--listen", "no-port", "--data-dir", data_dir], "no-port"),
            (["serve", "--listen", "127.0.0.1:99999", "--data-dir", data_dir], "99999"),
            (["serve", "--listen", "127.0.0.1:http", "--data-dir", data_dir], None),
            (serve + ["--cors-origins", "app.example.com"], "'app.example.com'"),
            (serve + ["--cors-origins", "ftp://app.example.com"], "--cors-origins"),
            (serve + ["--cors-origins", "https://app.example.com/logs"], "--cors-origins"),
            (serve + ["--cors-origins", "null"], "'null'"),
            (serve + ["--cors-origins", "*,https://app.example.com"], "--cors-origins"),
            (serve + ["--allowed-hosts", "logs.example.com:8080"], "'logs.example.com:8080'"),
            (serve + ["--allowed-hosts", "https://logs.example.com"], "--allowed-hosts"),
            (serve + ["--allowed-hosts", "*,logs.example.com"], "--allowed-hosts"),
        ]
        for args, mention in cases:
            with self.subTest(args=args):
                self.assertUsageError(args, mention=mention)
        self.assertFalse(os.path.exists(data_dir), "a refused command created the data dir")

    # A mistake before the subcommand is named in the error.
    def test_unknown_command_is_named(self):
        self.assertUsageError(["frobnicate"], mention="frobnicate")
        self.assertUsageError(["--bogus"], mention="--bogus")

    @rocksdb_only("the DynamoDB store has no data dir")
    def test_unusable_data_dir_exits_2_with_one_line(self):
        base = os.path.dirname(self.make_data_dir())
        regular_file = os.path.join(base, "a-file")
        with open(regular_file, "w") as f:
            f.write("not a directory\n")
        for data_dir in (os.path.join(regular_file, "data"), regular_file):
            with self.subTest(data_dir=data_dir):
                self.assertUsageError(
                    ["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir],
                    mention=data_dir)

    @rocksdb_only("the DynamoDB store does not lock a data dir")
    def test_data_dir_in_use_exits_2(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir)
        self.assertUsageError(["serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir])
        # The first one is unharmed.
        self.assertJsonReply(server.request("GET", "/healthz"), 200)

    def test_port_in_use_exits_2(self):
        server = self.start_server()
        self.assertUsageError(["serve", "--listen", "127.0.0.1:%d" % server.port,
                               "--data-dir", self.make_data_dir()],
                              mention=str(server.port))

    def test_max_body_bytes_from_env(self):
        server = self.start_server(env={"LOGSVC_MAX_BODY_BYTES": "120"})
        self.assertEqual(server.started["max_body_bytes"], 120)
        small = json.dumps({"severity": "info", "message": "x" * 60}).encode()
        big = json.dumps({"severity": "info", "message": "x" * 100}).encode()
        self.assertLessEqual(len(small), 120)
        self.assertGreater(len(big), 120)
        self.assertJsonReply(server.request("POST", "/logs", small), 201)
        self.assertErrorReply(server.request("POST", "/logs", big), 413)

    def test_flag_wins_over_env(self):
        server = self.start_server(args=["--max-body-bytes", "5000"],
                                   env={"LOGSVC_MAX_BODY_BYTES": "120"})
        self.assertEqual(server.started["max_body_bytes"], 5000)
        body = json.dumps({"severity": "info", "message": "x" * 1000}).encode()
        self.assertJsonReply(server.request("POST", "/logs", body), 201)
        too_big = json.dumps({"severity": "info", "message": "x" * 5000}).encode()
        self.assertErrorReply(server.request("POST", "/logs", too_big), 413)
        # And the other way round.
        server = self.start_server(args=["--max-body-bytes", "120"],
                                   env={"LOGSVC_MAX_BODY_BYTES": "5000"})
        self.assertEqual(server.started["max_body_bytes"], 120)
        self.assertErrorReply(server.request("POST", "/logs", body), 413)

    @rocksdb_only("the DynamoDB store has no data dir")
    def test_data_dir_flag_wins_over_env(self):
        base = os.path.dirname(self.make_data_dir())
        regular_file = os.path.join(base, "a-file")
        open(regular_file, "w").close()
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir, env={"LOGSVC_DATA_DIR": regular_file})
        self.assertEqual(server.started["data_dir"], data_dir)
        self.assertTrue(os.path.isdir(data_dir))

    def test_bad_env_value_exits_2(self):
        for name, value in (("LOGSVC_MAX_BODY_BYTES", "lots"),
                            ("LOGSVC_CORS_ORIGINS", "app.example.com"),
                            ("LOGSVC_ALLOWED_HOSTS", "bad name")):
            with self.subTest(name):
                self.assertUsageError(["serve", "--listen", "127.0.0.1:0", "--data-dir",
                                       self.make_data_dir()], env={name: value}, mention=value)

    @rocksdb_only("checks the data dir is created (test_dynamodb checks DynamoDB's line)")
    def test_started_line(self):
        data_dir = self.make_data_dir()
        server = self.start_server(data_dir, args=["--threads", "3"])
        line = server.started
        self.assertEqual(line["level"], "info")
        self.assertEqual(line["version"], project_version())
        self.assertEqual(line["data_dir"], data_dir)
        self.assertEqual(line["threads"], 3)
        self.assertEqual(line["max_body_bytes"], 1 << 20)
        self.assertIs(line["access_log"], False)
        self.assertTrue(os.path.isdir(data_dir), "the data dir was not created")

    def test_access_log(self):
        server = self.start_server(args=["--access-log"])
        self.assertIs(server.started["access_log"], True)
        self.assertErrorReply(server.request("GET", "/nope?secret=1"), 404)
        self.assertEqual(server.stop(), 0)
        requests = [json.loads(l) for l in server.stderr_lines if '"msg":"request"' in l]
        self.assertEqual(len(requests), 1, server.stderr_lines)
        self.assertEqual(requests[0]["method"], "GET")
        self.assertEqual(requests[0]["path"], "/nope")
        self.assertEqual(requests[0]["status"], 404)


if __name__ == "__main__":
    unittest.main()
