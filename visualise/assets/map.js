/* maillage map page. Every string from the data goes into the page with
   textContent or as canvas text: never as markup. */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("map-data").textContent);
  var T = data.text;
  var nodesData = data.nodes;
  var edgesData = data.edges;
  var kinds = data.kinds;
  var types = data.relationTypes;
  var N = nodesData.length;
  var E = edgesData.length;
  var large = !data.physics;
  // vis-network builds an object per relation, which takes seconds for tens of thousands of
  // them: on large maps the page draws the relations itself, as lines on vis's canvas
  var CANVAS_EDGES_ABOVE = 5000;
  var canvasEdges = large && E > CANVAS_EDGES_ABOVE;
  var api = { ready: false, totalNodes: N, totalEdges: E, aggregate: data.aggregate };
  window.maillageMap = api;

  // ------------------------------------------------------------------ helpers

  function el(tag, className, content) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined && content !== null) element.textContent = String(content);
    return element;
  }

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }

  function fold(value) {
    return String(value).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function number(value) {
    if (typeof value !== "number") return String(value);
    if (Number.isInteger(value)) return String(value);
    return value.toLocaleString(data.lang, { maximumSignificantDigits: 3 });
  }

  function shortLabel(name) {
    return name.length > 32 ? name.slice(0, 31) + "\u2026" : name;
  }

  function relationText(edge, outgoing) {
    var type = types[edge[2]];
    var words = type.label;
    if (edge[3]) words += " (" + (data.roles[edge[3]] || edge[3]) + ")";
    return (outgoing ? "\u2192 " : "\u2190 ") + words;
  }

  // ------------------------------------------------------------------ static text

  document.getElementById("search-label").textContent = T.search;
  var searchInput = document.getElementById("search");
  searchInput.placeholder = T.searchPlaceholder;
  var loading = document.getElementById("loading");
  loading.textContent = T.loading;
  if (data.aggregate) {
    var notice = document.getElementById("notice");
    notice.textContent = fill(T.aggregated, { nodes: data.aggregate.nodes.toLocaleString(data.lang),
      edges: data.aggregate.edges.toLocaleString(data.lang), by: data.aggregate.label, groups: data.aggregate.groups });
    notice.hidden = false;
  }

  // adjacency: edge indices touching each node
  var adjacency = new Array(N);
  for (var a = 0; a < N; a++) adjacency[a] = [];
  for (var b = 0; b < E; b++) {
    adjacency[edgesData[b][0]].push(b);
    if (edgesData[b][1] !== edgesData[b][0]) adjacency[edgesData[b][1]].push(b);
  }

  // ------------------------------------------------------------------ tooltips (DOM elements, built on hover)

  function nodeTooltip(index) {
    var node = nodesData[index];
    var box = el("div", "tip");
    box.appendChild(el("strong", null, node.name));
    box.appendChild(el("div", "tip-kind", kinds[node.kind].label));
    if (node.aliases.length) box.appendChild(el("div", "tip-aliases", node.aliases.join(" \u00b7 ")));
    box.appendChild(el("div", "tip-metric", data.sizeBy.label + " : " + number(node.score)));
    return box;
  }

  function edgeTooltip(index) {
    var edge = edgesData[index];
    var box = el("div", "tip");
    box.appendChild(el("strong", null, nodesData[edge[0]].name));
    var type = types[edge[2]];
    box.appendChild(el("div", "tip-relation", type.label));
    if (edge[3]) box.appendChild(el("div", "tip-role", T.role + " : " + (data.roles[edge[3]] || edge[3])));
    box.appendChild(el("strong", null, nodesData[edge[1]].name));
    var attrs = edge[4] || {};
    Object.keys(attrs).forEach(function (key) {
      box.appendChild(el("div", "tip-attr", (data.attributeLabels[key] || key) + " : " + attrs[key]));
    });
    return box;
  }

  // ------------------------------------------------------------------ data sets

  var visible = new Uint8Array(N);
  var kindOn = kinds.map(function () { return true; });
  var typeOn = types.map(function () { return true; });
  // Checked themes (by node index); none checked: every actor, whatever its themes.
  var themeOn = {};
  var themesChosen = 0;

  // large maps take their nodes' shape and colour from one vis group per (kind, colour), parsed
  // once, instead of options parsed again for each of thousands of nodes
  var visGroups = {};
  function groupOf(node) {
    var key = node.kind + "|" + node.color;
    if (!visGroups[key]) {
      visGroups[key] = { shape: kinds[node.kind].shape,
        color: { background: node.color, border: "#3a3a3a", highlight: { background: node.color, border: "#000000" },
                 hover: { background: node.color, border: "#000000" } } };
    }
    return key;
  }

  var visNodes = new vis.DataSet(nodesData.map(function (node, index) {
    var kind = kinds[node.kind];
    // large maps: labels come when the view is close enough to read them (labelInView)
    var item = large ? { id: index, group: groupOf(node), size: 8 + 30 * node.size } : {
      id: index,
      label: shortLabel(node.name),
      shape: kind.shape,
      size: 8 + 30 * node.size,
      font: { size: 12 + 12 * node.size },
      color: { background: node.color, border: "#3a3a3a", highlight: { background: node.color, border: "#000000" },
               hover: { background: node.color, border: "#000000" } }
    };
    if (node.x !== undefined) { item.x = node.x; item.y = node.y; }
    if (index === data.focus) item.borderWidth = 4;
    return item;
  }));

  var seenPairs = {};
  var visEdges = new vis.DataSet(canvasEdges ? [] : edgesData.map(function (edge, index) {
    var type = types[edge[2]];
    // large maps: plain lines, no dashes or arrow heads, which cost more to draw than the lines
    if (large) return { id: index, from: edge[0], to: edge[1], color: type.color, width: type.key === "PARTNERS_WITH" ? 2 : 1 };
    var item = {
      id: index,
      from: edge[0],
      to: edge[1],
      color: { color: type.color, highlight: "#000000", hover: "#000000", opacity: large ? 0.5 : 0.85 },
      dashes: type.dashes,
      width: type.key === "PARTNERS_WITH" ? 2 : 1
    };
    if (type.arrow) item.arrows = { to: { enabled: true, scaleFactor: 0.5 } };
    if (!large) {
      // parallel relations between the same two nodes are drawn as distinct curves
      var pair = edge[0] < edge[1] ? edge[0] + "-" + edge[1] : edge[1] + "-" + edge[0];
      var rank = seenPairs[pair] = (seenPairs[pair] || 0) + 1;
      if (rank > 1) item.smooth = { enabled: true, type: rank % 2 ? "curvedCW" : "curvedCCW", roundness: 0.15 * Math.ceil(rank / 2) };
    }
    return item;
  }));

  function inChosenThemes(index) {
    if (!themesChosen || themeOn[index]) return true;
    var themes = nodesData[index].themes;
    for (var k = 0; k < themes.length; k++) if (themeOn[themes[k]]) return true;
    return false;
  }

  function edgeShown(index) {
    var edge = edgesData[index];
    return typeOn[edge[2]] && visible[edge[0]] === 1 && visible[edge[1]] === 1;
  }

  var edgesShown = 0;
  function computeVisible() {
    for (var i = 0; i < N; i++) visible[i] = kindOn[nodesData[i].kind] && inChosenThemes(i) ? 1 : 0;
    if (!canvasEdges) return;
    edgesShown = 0;
    for (var e = 0; e < E; e++) edgesShown += edgeShown(e) ? 1 : 0;
  }
  computeVisible();

  var nodeView = new vis.DataView(visNodes, { filter: function (item) { return visible[item.id] === 1; } });
  var edgeView = canvasEdges ? { get length() { return edgesShown; }, refresh: function () {} }
    : new vis.DataView(visEdges, { filter: function (item) { return edgeShown(item.id); } });

  var status = document.getElementById("status");
  function updateStatus() {
    status.textContent = fill(T.shown, { nodes: nodeView.length, edges: edgeView.length, totalNodes: N, totalEdges: E });
  }

  function applyFilters() {
    computeVisible();
    nodeView.refresh();
    edgeView.refresh();
    // relations the page draws itself change with no change to vis's data: draw again
    if (canvasEdges) network.redraw();
    updateStatus();
  }

  // ------------------------------------------------------------------ network

  var options = {
    groups: visGroups,
    autoResize: true,
    nodes: {
      // fixed where the layout put them: vis then does less work per node when it builds them
      fixed: canvasEdges,
      borderWidth: 1,
      borderWidthSelected: 3,
      font: { face: "system-ui, -apple-system, 'Segoe UI', sans-serif", color: "#1a1a1a", strokeWidth: 3, strokeColor: "#ffffff" },
      scaling: { label: { drawThreshold: 7, maxVisible: 28 } }
    },
    edges: {
      selectionWidth: 2,
      hoverWidth: 0.5,
      color: { inherit: false, highlight: "#000000", hover: "#000000", opacity: large ? 0.5 : 0.85 },
      smooth: large ? false : { enabled: true, type: "continuous", roundness: 0.3 }
    },
    layout: { improvedLayout: N <= 150, randomSeed: 7 },
    interaction: {
      hover: true,
      // relations drawn by the page follow the layout's positions, so nodes stay where it put them
      dragNodes: !canvasEdges,
      tooltipDelay: 120,
      hideEdgesOnDrag: N > 3000,
      hideEdgesOnZoom: N > 3000,
      navigationButtons: false,
      keyboard: false
    },
    physics: data.physics ? {
      enabled: true,
      solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -120, centralGravity: 0.012, springLength: 140, springConstant: 0.05, avoidOverlap: 0.8 },
      stabilization: { enabled: true, iterations: N > 600 ? 250 : 600, updateInterval: 50, fit: true }
    } : false
  };

  var container = document.getElementById("network");
  var network = new vis.Network(container, { nodes: nodeView, edges: canvasEdges ? visEdges : edgeView }, options);
  api.network = network;
  api.nodes = visNodes;
  api.edges = visEdges;
  api.nodeView = nodeView;
  api.edgeView = edgeView;

  // Large maps start without labels: measuring thousands of labels too small to be drawn would
  // delay the first picture. Nodes get theirs once in view at a legible scale.
  var labelled = new Uint8Array(N);
  var LEGIBLE_SCALE = 0.5;
  function labelInView() {
    if (!large || network.getScale() < LEGIBLE_SCALE) return;
    var scale = network.getScale();
    var centre = network.getViewPosition();
    var halfWidth = container.clientWidth / 2 / scale, halfHeight = container.clientHeight / 2 / scale;
    var updates = [];
    for (var i = 0; i < N; i++) {
      var node = nodesData[i];
      if (!labelled[i] && Math.abs(node.x - centre.x) <= halfWidth && Math.abs(node.y - centre.y) <= halfHeight) {
        labelled[i] = 1;
        updates.push({ id: i, label: shortLabel(node.name) });
      }
    }
    if (updates.length) visNodes.update(updates);
  }
  if (large) {
    network.on("zoom", labelInView);
    network.on("dragEnd", labelInView);
    network.on("animationFinished", labelInView);
  }

  function markReady() {
    if (api.ready) return;
    api.ready = true;
    loading.hidden = true;
    if (data.focus !== null && data.focus !== undefined) focusNode(data.focus, false);
  }

  if (N === 0) {
    markReady();
  } else if (data.physics) {
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: false });
      network.fit();
      markReady();
    });
  } else {
    network.once("afterDrawing", markReady);
  }

  if (data.backdrop.length) {
    // a sketch of France behind a geographic map: one faint dot per département
    network.on("beforeDrawing", function (context) {
      context.save();
      context.fillStyle = "rgba(120, 120, 120, 0.18)";
      context.font = "10px system-ui, sans-serif";
      context.textAlign = "center";
      data.backdrop.forEach(function (point) {
        context.beginPath();
        context.arc(point[0], point[1], data.backdropRadius, 0, 2 * Math.PI);
        context.fill();
      });
      context.fillStyle = "rgba(90, 90, 90, 0.5)";
      data.backdrop.forEach(function (point) { context.fillText(point[2], point[0], point[1] + 3); });
      context.restore();
    });
  }

  if (canvasEdges) {
    // one path per relation type; none while the view is dragged, as vis does for its own edges
    var xs = new Float64Array(N), ys = new Float64Array(N);
    for (var p = 0; p < N; p++) { xs[p] = nodesData[p].x; ys[p] = nodesData[p].y; }
    var byType = types.map(function () { return []; });
    for (var q = 0; q < E; q++) if (edgesData[q][0] !== edgesData[q][1]) byType[edgesData[q][2]].push(q);
    var dragging = false;
    network.on("dragStart", function () { dragging = true; });
    network.on("dragEnd", function () { dragging = false; network.redraw(); });
    var strokeEdges = function (context, list, colour, width) {
      context.beginPath();
      for (var k = 0; k < list.length; k++) {
        var edge = edgesData[list[k]];
        if (!edgeShown(list[k])) continue;
        context.moveTo(xs[edge[0]], ys[edge[0]]);
        context.lineTo(xs[edge[1]], ys[edge[1]]);
      }
      context.strokeStyle = colour;
      context.lineWidth = Math.max(width, 0.3 / network.getScale());
      context.stroke();
    };
    network.on("beforeDrawing", function (context) {
      if (dragging) return;
      context.save();
      context.globalAlpha = 0.5;
      types.forEach(function (type, index) {
        if (byType[index].length) strokeEdges(context, byType[index], type.color, type.key === "PARTNERS_WITH" ? 2 : 1);
      });
      context.globalAlpha = 1;
      network.getSelectedNodes().forEach(function (selected) {
        strokeEdges(context, adjacency[selected], "#000000", 2);
      });
      context.restore();
    });
  }

  network.on("hoverNode", function (params) {
    var item = visNodes.get(params.node);
    if (item && !item.title) visNodes.update({ id: params.node, title: nodeTooltip(params.node) });
  });
  network.on("hoverEdge", function (params) {
    var item = visEdges.get(params.edge);
    if (item && !item.title) visEdges.update({ id: params.edge, title: edgeTooltip(params.edge) });
  });
  network.on("click", function (params) {
    if (params.nodes.length) showPanel(params.nodes[0]);
    else if (!params.edges.length) hidePanel();
  });

  // ------------------------------------------------------------------ side panel

  var panel = document.getElementById("panel");

  function hidePanel() {
    panel.hidden = true;
    clear(panel);
  }

  function definition(list, term, value) {
    list.appendChild(el("dt", null, term));
    list.appendChild(el("dd", null, value));
  }

  function showPanel(index) {
    var node = nodesData[index];
    clear(panel);
    panel.hidden = false;
    var close = el("button", "close", "\u00d7");
    close.type = "button";
    close.title = T.close;
    close.setAttribute("aria-label", T.close);
    close.addEventListener("click", hidePanel);
    panel.appendChild(close);
    panel.appendChild(el("h2", null, node.name));
    var kind = el("p", "kind", kinds[node.kind].label);
    panel.appendChild(kind);

    var facts = el("dl");
    definition(facts, T.id, node.id);
    if (node.aliases.length) definition(facts, T.aliases, node.aliases.join(" \u00b7 "));
    definition(facts, data.sizeBy.label, number(node.score));
    panel.appendChild(facts);

    var keys = Object.keys(node.attrs);
    if (keys.length) {
      panel.appendChild(el("h3", null, T.attributes));
      var attributes = el("dl");
      keys.sort().forEach(function (key) {
        var value = node.attrs[key];
        definition(attributes, data.attributeLabels[key] || key, Array.isArray(value) ? value.join(", ") : typeof value === "object" && value !== null ? JSON.stringify(value) : value);
      });
      panel.appendChild(attributes);
    }

    var touching = adjacency[index];
    panel.appendChild(el("h3", null, T.relationsOf + " (" + touching.length + ")"));
    var relations = el("ul", "relations");
    touching.slice(0, 300).forEach(function (edgeIndex) {
      var edge = edgesData[edgeIndex];
      var outgoing = edge[0] === index;
      var other = outgoing ? edge[1] : edge[0];
      var item = el("li");
      item.appendChild(el("span", "relation-type", relationText(edge, outgoing) + " "));
      var link = el("button", "node-link", nodesData[other].name);
      link.type = "button";
      link.addEventListener("click", function () { focusNode(other, true); });
      item.appendChild(link);
      var attrs = edge[4] || {};
      Object.keys(attrs).forEach(function (key) {
        item.appendChild(el("span", "relation-attr", " \u2014 " + (data.attributeLabels[key] || key) + " : " + attrs[key]));
      });
      relations.appendChild(item);
    });
    if (touching.length > 300) relations.appendChild(el("li", "more", "\u2026 +" + (touching.length - 300)));
    panel.appendChild(relations);

    panel.appendChild(el("h3", null, T.sources));
    if (node.sources.length) {
      var sources = el("ul", "sources");
      node.sources.forEach(function (source) { sources.appendChild(el("li", null, source)); });
      panel.appendChild(sources);
    } else {
      panel.appendChild(el("p", "empty", T.noSource));
    }
  }

  function focusNode(index, animate) {
    if (!visible[index]) {
      kindOn[nodesData[index].kind] = true;
      themeOn = {};
      themesChosen = 0;
      syncFilterInputs();
      applyFilters();
    }
    network.selectNodes([index]);
    network.focus(index, { scale: Math.max(network.getScale(), 1.0), animation: animate && N < 3000 ? { duration: 400 } : false });
    labelInView();
    showPanel(index);
  }
  api.focusNode = focusNode;
  api.showPanel = showPanel;

  // ------------------------------------------------------------------ search

  var results = document.getElementById("search-results");
  var haystack = null;

  // best matches first: a name or alias equal to the query, then names that start
  // with it, then aliases that start with it, then anything containing it
  function search(query) {
    if (haystack === null) {
      haystack = nodesData.map(function (node) {
        return { name: fold(node.name), aliases: node.aliases.map(fold), id: fold(node.id) };
      });
    }
    var wanted = fold(query.trim());
    if (!wanted) return [];
    var ranks = [[], [], [], []];
    for (var i = 0; i < N && ranks[0].length < 15; i++) {
      var entry = haystack[i], rank = -1;
      if (entry.name === wanted || entry.id === wanted || entry.aliases.indexOf(wanted) >= 0) rank = 0;
      else if (entry.name.indexOf(wanted) === 0) rank = 1;
      else if (entry.aliases.some(function (alias) { return alias.indexOf(wanted) === 0; })) rank = 2;
      else if (entry.name.indexOf(wanted) > 0 || entry.id.indexOf(wanted) >= 0 ||
               entry.aliases.some(function (alias) { return alias.indexOf(wanted) > 0; })) rank = 3;
      if (rank >= 0 && ranks[rank].length < 15) ranks[rank].push(i);
    }
    return ranks[0].concat(ranks[1], ranks[2], ranks[3]).slice(0, 15);
  }

  function showResults() {
    clear(results);
    var query = searchInput.value;
    if (!query.trim()) return;
    var found = search(query);
    if (!found.length) {
      results.appendChild(el("li", "empty", T.noResult));
      return;
    }
    found.forEach(function (index) {
      var item = el("li");
      var button = el("button", "result");
      button.type = "button";
      button.appendChild(el("span", "result-name", nodesData[index].name));
      button.appendChild(el("span", "result-kind", kinds[nodesData[index].kind].label));
      button.addEventListener("click", function () {
        clear(results);
        searchInput.value = nodesData[index].name;
        focusNode(index, true);
      });
      item.appendChild(button);
      results.appendChild(item);
    });
  }

  searchInput.addEventListener("input", showResults);
  searchInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = results.querySelector("button.result");
      if (first) first.click();
      event.preventDefault();
    } else if (event.key === "Escape") {
      clear(results);
    }
  });
  api.search = function (query) { searchInput.value = query; showResults(); return search(query); };

  // ------------------------------------------------------------------ legend and filters

  var legend = document.getElementById("legend");
  legend.appendChild(el("h2", null, T.legend));
  legend.appendChild(el("h3", null, T["colourBy." + data.colorBy]));
  var entries = el("ul", "legend-entries");
  data.legend.forEach(function (entry) {
    var item = el("li");
    var swatch = el("span", "swatch");
    swatch.style.background = entry.color;
    item.appendChild(swatch);
    item.appendChild(el("span", "legend-label", entry.label));
    if (entry.detail) item.appendChild(el("span", "legend-detail", " (" + entry.detail + ")"));
    item.appendChild(el("span", "count", " " + entry.count));
    entries.appendChild(item);
  });
  legend.appendChild(entries);
  legend.appendChild(el("h3", null, T.sizeBy + data.sizeBy.label));
  legend.appendChild(el("p", "size-range", number(data.sizeBy.min) + " \u2013 " + number(data.sizeBy.max)));

  var SHAPES = { dot: "\u25cf", hexagon: "\u2b22", diamond: "\u25c6", triangle: "\u25b2", triangleDown: "\u25bc", star: "\u2605", square: "\u25a0" };
  var filters = document.getElementById("filters");
  var kindInputs = [], typeInputs = [];
  var themeInputs = {};
  filters.appendChild(el("h2", null, T.filters));

  function checkbox(list, label, checked, onChange, decorate) {
    var item = el("li");
    var holder = el("label");
    var input = el("input");
    input.type = "checkbox";
    input.checked = checked;
    input.addEventListener("change", function () { onChange(input.checked); });
    holder.appendChild(input);
    if (decorate) holder.appendChild(decorate);
    holder.appendChild(el("span", null, label));
    item.appendChild(holder);
    list.appendChild(item);
    return input;
  }

  var kindCounts = kinds.map(function () { return 0; });
  nodesData.forEach(function (node) { kindCounts[node.kind] += 1; });
  filters.appendChild(el("h3", null, T.kinds));
  var kindList = el("ul", "filter-kinds");
  kinds.forEach(function (kind, index) {
    if (!kind.used) return;
    var glyph = el("span", "glyph", SHAPES[kind.shape] || "\u25cf");
    glyph.style.color = kind.color;
    var input = checkbox(kindList, kind.label + " (" + kindCounts[index] + ")", true, function (on) { kindOn[index] = on; applyFilters(); }, glyph);
    input.dataset.kind = kind.key;
    kindInputs[index] = input;
  });
  filters.appendChild(kindList);

  filters.appendChild(el("h3", null, T.relations));
  var typeList = el("ul", "filter-types");
  types.forEach(function (type, index) {
    if (!type.used) return;
    var line = el("span", "line");
    line.style.borderTop = "3px " + (type.dashes && !large ? "dashed " : "solid ") + type.color;
    var input = checkbox(typeList, type.label, true, function (on) { typeOn[index] = on; applyFilters(); }, line);
    input.dataset.type = type.key;
    typeInputs[index] = input;
  });
  filters.appendChild(typeList);

  if (data.themes.length) {
    var themeCounts = {};
    nodesData.forEach(function (node) {
      node.themes.forEach(function (theme) { themeCounts[theme] = (themeCounts[theme] || 0) + 1; });
    });
    filters.appendChild(el("h3", null, T.themes));
    filters.appendChild(el("p", "hint", T.themesHint));
    var themeList = el("ul", "filter-themes");
    data.themes.forEach(function (index) {
      var input = checkbox(themeList, nodesData[index].name + " (" + (themeCounts[index] || 0) + ")", false, function (on) {
        if (on) themeOn[index] = true; else delete themeOn[index];
        themesChosen = Object.keys(themeOn).length;
        applyFilters();
      });
      input.dataset.theme = String(index);
      themeInputs[index] = input;
    });
    filters.appendChild(themeList);
  }

  function syncFilterInputs() {
    kindInputs.forEach(function (input, index) { if (input) input.checked = kindOn[index]; });
    typeInputs.forEach(function (input, index) { if (input) input.checked = typeOn[index]; });
    Object.keys(themeInputs).forEach(function (index) { themeInputs[index].checked = !!themeOn[index]; });
  }

  var actions = el("p", "actions");
  var reset = el("button", null, T.reset);
  reset.type = "button";
  reset.addEventListener("click", function () {
    kindOn = kinds.map(function () { return true; });
    typeOn = types.map(function () { return true; });
    themeOn = {};
    themesChosen = 0;
    syncFilterInputs();
    applyFilters();
  });
  var fit = el("button", null, T.fit);
  fit.type = "button";
  fit.addEventListener("click", function () { network.fit(); });
  actions.appendChild(reset);
  actions.appendChild(fit);
  filters.appendChild(actions);

  updateStatus();
})();
