package dev.sandbox4j.langchain4j;

import static dev.sandbox4j.langchain4j.ScriptedChatModel.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.service.AiServices;
import dev.sandbox4j.IsolationPolicy;
import dev.sandbox4j.Sandbox;
import dev.sandbox4j.testkit.BackendRequirement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real AiServices flow: a scripted model asks for tools, LangChain4j runs them through {@link SandboxTools}
 * inside a real bubblewrap sandbox, the results go back to the model, and the flow ends with its answer.
 */
class AiServicesFlowTest {

    interface Assistant {
        String chat(String message);
    }

    @BeforeEach
    void requireBubblewrap() {
        BackendRequirement.assumeAvailable("bubblewrap");
    }

    @Test
    void toolsRunInsideTheSandboxAndTheirResultsGoBackToTheModel(@TempDir Path hostDir) throws Exception {
        // a host file the sandbox must not see, in a host directory it is not given
        Path hostSecret = hostDir.resolve("host-secret.txt");
        Files.writeString(hostSecret, "HOST-ONLY-CONTENT");
        Set<String> hostRoot;
        try (Stream<Path> s = Files.list(Path.of("/"))) {
            hostRoot = s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }

        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(
                        call("c1", "write_file", Map.of("path", "notes/plan.txt", "content", "step 1: look around\n")),
                        call("c2", "run_shell_command", Map.of("command",
                                "id -u; echo ---; ls /; echo ---; cat " + hostSecret + "; echo ---; cat notes/plan.txt; echo ---;"
                                        + " find /root /home -mindepth 1 | wc -l")),
                        call("c3", "read_file", Map.of("path", "notes/plan.txt")),
                        call("c4", "list_directory", Map.of("path", "notes"))),
                AiMessage.from("I looked around the sandbox.")));

        try (Sandbox sandbox = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build()) {
            Assistant assistant = AiServices.builder(Assistant.class)
                    .chatModel(model)
                    .tools(new SandboxTools(sandbox))
                    .build();

            String answer = assistant.chat("Look around your workspace.");

            assertThat(answer).isEqualTo("I looked around the sandbox.");
            assertThat(model.requests).hasSize(2);
            // the model was offered the four tools
            assertThat(model.requests.get(0).toolSpecifications()).extracting(s -> s.name())
                    .containsExactlyInAnyOrder("run_shell_command", "write_file", "read_file", "list_directory");

            List<ToolExecutionResultMessage> results =
                    ScriptedChatModel.toolResultsSinceUser(model.requests.get(1).messages());
            assertThat(results).extracting(ToolExecutionResultMessage::id).containsExactly("c1", "c2", "c3", "c4");
            Map<String, String> byId = results.stream()
                    .collect(Collectors.toMap(ToolExecutionResultMessage::id, ToolExecutionResultMessage::text));

            assertThat(byId.get("c1")).isEqualTo("wrote 20 bytes to /workspace/notes/plan.txt");

            String shell = byId.get("c2");
            assertThat(shell).startsWith("exit code: 0\n");
            String stdout = shell.substring(shell.indexOf("stdout:\n") + "stdout:\n".length(), shell.indexOf("\nstderr:\n"));
            String[] parts = stdout.split("---\n");
            // strict policy: the command runs as nobody, not as the JVM's user
            assertThat(parts[0].strip()).isEqualTo("65534")
                    .isNotEqualTo(String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid()));
            Set<String> sandboxRoot = Set.of(parts[1].strip().split("\n"));
            assertThat(sandboxRoot).contains("workspace", "usr", "tmp", "proc");
            // the sandbox's / is its own view: the host has entries the sandbox does not (its home, its data)
            Set<String> onlyOnHost = new java.util.TreeSet<>(hostRoot);
            onlyOnHost.removeAll(sandboxRoot);
            assertThat(onlyOnHost).isNotEmpty();
            // /root and /home are the view's own empty directories (as in containers), never the host's
            assertThat(parts[4].strip()).as("entries under the sandbox's /root and /home").isEqualTo("0");
            // the host's file is absent inside, and the file written through the tool is there
            assertThat(parts[2]).isEmpty();
            assertThat(shell).contains("stderr:\ncat: " + hostSecret + ": No such file or directory")
                    .doesNotContain("HOST-ONLY-CONTENT");
            assertThat(parts[3].strip()).isEqualTo("step 1: look around");

            assertThat(byId.get("c3")).isEqualTo("step 1: look around\n");
            assertThat(byId.get("c4")).isEqualTo("/workspace/notes: 1 entry\nplan.txt  (20 bytes)");
        }
    }

    @Test
    void aRefusedPathIsExplainedToTheModelAndTheFlowGoesOn() {
        ScriptedChatModel model = ScriptedChatModel.inOrder(List.of(
                AiMessage.from(
                        call("r1", "read_file", Map.of("path", "/etc/passwd")),
                        call("r2", "write_file", Map.of("path", "../escape.txt", "content", "x"))),
                AiMessage.from("Both were refused.")));
        try (Sandbox sandbox = Sandbox.builder().backend("bubblewrap").policy(IsolationPolicy.strict()).build()) {
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(model)
                    .tools(new SandboxTools(sandbox)).build();

            assertThat(assistant.chat("Try to escape.")).isEqualTo("Both were refused.");

            List<ToolExecutionResultMessage> results =
                    ScriptedChatModel.toolResultsSinceUser(model.requests.get(1).messages());
            assertThat(results.get(0).text()).startsWith("refused: ")
                    .contains("'/etc/passwd'", "outside the workspace /workspace");
            assertThat(results.get(1).text()).startsWith("refused: ").contains("'../escape.txt'", "'..' segment");
        }
    }
}
