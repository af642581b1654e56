"""Issue 12, point 3: help and documentation at hand.

Every command answers `tmfinv help COMMAND` and `tmfinv COMMAND --help` with exit 0 and the
very text of docs/commands/COMMAND.md (compiled in at build time, so they cannot drift); the
usage text lists exactly the documented commands; a mistyped command gets "did you mean"; a
missing configuration says how to give one, and ./tmfinv.ini is found before
/etc/tmfinv/tmfinv.ini; the man pages render without a warning (groff -ww and man -l); the
bash completion completes commands, options and definitions."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tmfinv_testlib import BIN, TOP, TestCase, Sim, Workspace, main  # noqa: E402

DOCS = os.path.join(TOP, "docs", "commands")
MAN = os.path.join(TOP, "man")
COMPLETION = os.path.join(TOP, "completion", "tmfinv.bash")


def pages():
    return sorted(f[:-3] for f in os.listdir(DOCS) if f.endswith(".md"))


def run(*args, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, **kw)


class HelpTest(TestCase):
    def test_help__every_command_prints_its_docs_page(self):
        self.assertGreaterEqual(len(pages()), 11)
        for name in pages():
            with open(os.path.join(DOCS, name + ".md"), encoding="utf-8") as f:
                text = f.read()
            for argv in (["help", name], [name, "--help"], [name, "-h"], ["-c", "/nonexistent.ini", name, "--help"]):
                with self.subTest(argv=argv):
                    p = run(*argv)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertEqual(p.stdout, text)
                    self.assertEqual(p.stderr, "")

    def test_help__usage_lists_the_documented_commands(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        listed = set(re.findall(r"(?m)^  ([a-z]+)\b", p.stdout.split("options:")[0]))
        self.assertEqual(listed - {"help"}, set(pages()))
        self.assertEqual(run("help").stdout, p.stdout)

    def test_help__history_speaks_of_history(self):
        p = run("history", "--bogus")
        self.assertEqual(p.returncode, 64)
        self.assertIn("history:", p.stderr)
        self.assertNotIn("show", p.stderr)
        self.assertIn("tmfinv history", run("history", "--help").stdout)

    def test_help__unknown_help_topic_is_a_usage_error(self):
        p = run("help", "frobnicate")
        self.assertEqual(p.returncode, 64)
        self.assertIn("frobnicate", p.stderr)

    def test_help__did_you_mean(self):
        for typed, meant in (("synk", "sync"), ("quer", "query"), ("histroy", "history"), ("defintions", "definitions"),
                             ("serv", "serve")):
            with self.subTest(typed=typed):
                p = run(typed)
                self.assertEqual(p.returncode, 64)
                self.assertIn("did you mean '%s'?" % meant, p.stderr)
                self.assertEqual(len(p.stderr.splitlines()), 1)
        p = run("xyzzy")
        self.assertEqual(p.returncode, 64)
        self.assertNotIn("did you mean", p.stderr)


class ConfigSearchTest(TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tmfinv-help-")
        self.env = {k: v for k, v in os.environ.items() if k != "TMFINV_CONFIG"}

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_config__missing_says_how_to_give_one(self):
        if os.path.exists("/etc/tmfinv/tmfinv.ini"):
            self.skipTest("/etc/tmfinv/tmfinv.ini exists on this machine")
        p = run("runs", cwd=self.dir, env=self.env)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        for needle in ("-c FILE", "$TMFINV_CONFIG", "./tmfinv.ini", "/etc/tmfinv/tmfinv.ini"):
            self.assertIn(needle, p.stderr)
        missing = os.path.join(self.dir, "nope.ini")
        p = run("-c", missing, "runs", cwd=self.dir, env=self.env)
        self.assertEqual(p.returncode, 1)
        self.assertIn(missing, p.stderr)
        self.assertIn("-c FILE", p.stderr)

    def test_config__found_in_the_current_directory(self):
        with open(os.path.join(self.dir, "tmfinv.ini"), "w") as f:
            f.write("[store]\npath = here.db\n")
        p = run("check", cwd=self.dir, env=self.env)
        self.assertEqual(p.returncode, 0, p.stderr)


class ManTest(TestCase):
    def test_man__pages_render_without_warnings(self):
        names = ["tmfinv.1", "tmfinv-sim.1", "tmfinv.ini.5"]
        self.assertEqual(sorted(os.listdir(MAN)), sorted(names))
        for name in names:
            path = os.path.join(MAN, name)
            with self.subTest(page=name, tool="groff"):
                p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", path], capture_output=True, text=True,
                                   timeout=60)
                self.assertEqual((p.returncode, p.stderr), (0, ""))
            with self.subTest(page=name, tool="man -l"):
                env = dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0", MANPAGER="cat", PAGER="cat")
                p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True, timeout=60,
                                   env=env)
                self.assertEqual((p.returncode, p.stderr), (0, ""))
                text = re.sub(".\b", "", p.stdout)  # overstrike (bold, underline) off
                self.assertIn("NAME", text)
                self.assertRegex(text, re.escape(name.rsplit(".", 1)[0]) + r"\s+-\s+\w")

    def test_man__tmfinv_1_names_every_command(self):
        with open(os.path.join(MAN, "tmfinv.1")) as f:
            text = f.read()
        for name in pages():
            self.assertRegex(text, r"(?m)^\.B %s\b" % name)


class CompletionTest(TestCase):
    def complete(self, *words, config=None):
        """COMPREPLY of the completion for the command line `tmfinv WORDS` (the last word is
        the one being completed)."""
        words = [BIN] + list(words)
        script = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_tmfinv\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
                  % (COMPLETION, " ".join("'%s'" % w for w in words), len(words) - 1))
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [l for l in p.stdout.splitlines() if l]

    def test_completion__commands_options_definitions(self):
        self.assertEqual(self.complete("sy"), ["sync"])
        self.assertEqual(set(self.complete("s")), {"sync", "serve", "show", "set", "summary"})
        self.assertEqual(self.complete("sync", "--pr"), ["--progress"])
        self.assertEqual(self.complete("rejected", "--kind", "dup"), ["duplicate"])
        self.assertIn("--version", self.complete("--"))
        self.assertEqual(self.complete("help", "his"), ["history"])
        ws = Workspace()
        with Sim(services=5, carriers=2, resources=5) as sim:
            ws.ses_config(sim)
            self.assertEqual(set(self.complete("-c", ws.config, "query", "")),
                             {"Carrier", "Service", "Resource"} | set(self.complete("-c", ws.config, "query", "")))
            defs = self.complete("-c", ws.config, "query", "")
            self.assertIn("Service", defs)
            self.assertIn("Carrier", defs)
            self.assertEqual(self.complete("-c", ws.config, "show", "X", "--definition", "Serv"), ["Service"])


if __name__ == "__main__":
    main()
