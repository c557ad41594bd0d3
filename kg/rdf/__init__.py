"""Linked data: the vault as RDF (kg.rdf.emit), written as Turtle, JSON-LD, N-Triples or TriG
(kg.rdf.export), queried with SPARQL (kg.rdf.query) and pushed to a SPARQL 1.1 store
(kg.rdf.push). The vocabulary (vocab.ttl) and SHACL shapes (shapes.ttl) ship beside the code."""
