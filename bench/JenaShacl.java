// Apache Jena SHACL as a peer engine (bench/jena.py runs it with Debian's
// libapache-jena-java): validates the union of the graphs of an N-Quads file with a
// shapes file, and prints the load and validation seconds and one line per result.
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.GraphUtil;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;
import org.apache.jena.sparql.graph.GraphFactory;

public class JenaShacl {
    public static void main(String[] args) {
        long start = System.nanoTime();
        Graph data = GraphFactory.createDefaultGraph();
        GraphUtil.addInto(data, RDFDataMgr.loadDatasetGraph(args[0]).getUnionGraph());
        Shapes shapes = Shapes.parse(RDFDataMgr.loadGraph(args[1]));
        long loaded = System.nanoTime();
        ValidationReport report = ShaclValidator.get().validate(shapes, data);
        long validated = System.nanoTime();
        System.out.println("load_s " + (loaded - start) / 1e9);
        System.out.println("validate_s " + (validated - loaded) / 1e9);
        report.getEntries().forEach(entry -> System.out.println(
            "R\t" + entry.focusNode().toString() + "\t" + entry.source().toString()));
    }
}
