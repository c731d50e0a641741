package dev.sandbox4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The BOM (which has no parent, so that importing it inherits nothing) lists every published module and
 * imports the same Jackson BOM as the build, so that a user who imports only ours gets one Jackson.
 */
class BomTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theBomListsEveryPublishedModule() throws Exception {
        Document parent = parse(ROOT.resolve("pom.xml"));
        List<String> published = new ArrayList<>();
        for (Element m : children(parent.getDocumentElement(), "modules", "module")) {
            String dir = m.getTextContent().trim();
            if (dir.equals("bom") || dir.equals("benchmarks")) {
                continue; // the BOM itself; the benchmarks are not published
            }
            published.add(childText(parse(ROOT.resolve(dir).resolve("pom.xml")).getDocumentElement(), "artifactId"));
        }
        assertThat(published).isNotEmpty();
        assertThat(bomArtifacts()).containsAll(published);
    }

    @Test
    void theBomImportsTheBuildsJackson() throws Exception {
        String parentVersion = childText(child(parse(ROOT.resolve("pom.xml")).getDocumentElement(), "properties"), "jackson.version");
        Document bom = parse(ROOT.resolve("bom/pom.xml"));
        assertThat(childText(child(bom.getDocumentElement(), "properties"), "jackson.version")).isEqualTo(parentVersion);
        String text = Files.readString(ROOT.resolve("bom/pom.xml"));
        Matcher m = Pattern.compile("<artifactId>jackson-bom</artifactId>\\s*<version>\\$\\{jackson.version}</version>\\s*"
                + "<type>pom</type>\\s*<scope>import</scope>").matcher(text);
        assertThat(m.find()).as("bom/pom.xml imports jackson-bom at ${jackson.version}").isTrue();
    }

    private static List<String> bomArtifacts() throws Exception {
        Document bom = parse(ROOT.resolve("bom/pom.xml"));
        List<String> out = new ArrayList<>();
        for (Element d : children(child(bom.getDocumentElement(), "dependencyManagement"), "dependencies", "dependency")) {
            out.add(childText(d, "artifactId"));
        }
        return out;
    }

    private static Document parse(Path pom) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(pom.toFile());
    }

    private static Element child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no <" + name + "> in <" + e.getTagName() + ">");
    }

    private static String childText(Element e, String name) {
        return child(e, name).getTextContent().trim();
    }

    private static List<Element> children(Element e, String list, String item) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = child(e, list).getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element c && c.getTagName().equals(item)) {
                out.add(c);
            }
        }
        return out;
    }
}
