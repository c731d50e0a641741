package dev.sandbox4j.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A chat model of the tests' own: no network, no weights. Each answer comes from a script that sees the
 * whole request (so a test can answer by what the tools returned); every request is recorded.
 */
final class ScriptedChatModel implements ChatModel {
    private final Function<ChatRequest, AiMessage> script;
    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();

    ScriptedChatModel(Function<ChatRequest, AiMessage> script) {
        this.script = script;
    }

    /** Answers the n-th request (0-based) with {@code answers.get(n)}; more requests fail the test. */
    static ScriptedChatModel inOrder(List<AiMessage> answers) {
        AtomicInteger next = new AtomicInteger();
        return new ScriptedChatModel(request -> {
            int n = next.getAndIncrement();
            if (n >= answers.size()) {
                throw new AssertionError("the script has " + answers.size() + " answers; request " + (n + 1)
                        + " was not expected: " + request.messages());
            }
            return answers.get(n);
        });
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        requests.add(request);
        return ChatResponse.builder().aiMessage(script.apply(request)).build();
    }

    static ToolExecutionRequest call(String id, String tool, Map<String, String> args) {
        StringBuilder json = new StringBuilder("{");
        args.forEach((k, v) -> {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(k).append("\":\"").append(jsonEscape(v)).append('"');
        });
        return ToolExecutionRequest.builder().id(id).name(tool).arguments(json.append('}').toString()).build();
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /** The tool results in a request's messages since its last user message, in order. */
    static List<ToolExecutionResultMessage> toolResultsSinceUser(List<ChatMessage> messages) {
        List<ToolExecutionResultMessage> out = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m instanceof dev.langchain4j.data.message.UserMessage) {
                out.clear();
            } else if (m instanceof ToolExecutionResultMessage t) {
                out.add(t);
            }
        }
        return out;
    }
}
