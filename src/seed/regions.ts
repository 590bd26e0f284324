/**
 * Demo regions: Henan province, Sanmenxia city and its six county-level units (real statistical codes), and a
 * few townships and villages below them.
 *
 * ILLUSTRATIVE: every township and village code below the county level is made up for the demo (the names
 * are places the 2019 article mentions, or plausible ones); they are NOT the official statistical codes.
 * Within a township, village-level codes 001-199 are communities (社区) and 200-399 villages (村), as in the
 * official scheme.
 */
import type { NewRegion } from '../db/index.js';

/** 12-digit codes of the demo places that other demo data (users, facilities, cases) refer to. */
export const PLACES = {
  henan: '410000000000',
  sanmenxia: '411200000000',
  hubin: '411202000000',
  shanzhou: '411203000000',
  mianchi: '411221000000',
  lushi: '411224000000',
  yima: '411281000000',
  lingbao: '411282000000',

  // 灵宝市 (illustrative below this line)
  lingbaoChengguan: '411282100000', // 城关镇
  sucun: '411282108000', // 苏村乡
  sucunCommunity: '411282108001', // 苏村社区 (易地扶贫搬迁安置社区)
  sunjiagou: '411282108201', // 孙家沟村 (the Sun household of the article)
  dongzhai: '411282108202', // 东寨村
  xipo: '411282108203', // 西坡村
  chuankou: '411282109000', // 川口乡
  chuankouVillage: '411282109201', // 川口村

  // 渑池县
  hongyang: '411221103000', // 洪阳镇
  hongyangVillage: '411221103201', // 洪阳村
  gaozhuang: '411221103202', // 高庄村
  zhangcun: '411221104000', // 张村镇
  zhangcunCommunity: '411221104001', // 张村社区 (安置点)
  zhangcunVillage: '411221104201', // 张村

  // 陕州区: the article places 明山村 in 宫前乡, 陕州区
  gongqian: '411203200000', // 宫前乡
  mingshan: '411203200201', // 明山村

  // 卢氏县
  zhuyangguan: '411224105000', // 朱阳关镇
  zhuyangguanVillage: '411224105201', // 朱阳关村
} as const;

const p = PLACES;

export const demoRegions: readonly NewRegion[] = [
  { code: p.henan, level: 'province', parentCode: null, name: '河南省' },
  { code: p.sanmenxia, level: 'prefecture', parentCode: p.henan, name: '三门峡市' },

  { code: p.hubin, level: 'county', parentCode: p.sanmenxia, name: '湖滨区' },
  { code: p.shanzhou, level: 'county', parentCode: p.sanmenxia, name: '陕州区' },
  { code: p.mianchi, level: 'county', parentCode: p.sanmenxia, name: '渑池县' },
  { code: p.lushi, level: 'county', parentCode: p.sanmenxia, name: '卢氏县' },
  { code: p.yima, level: 'county', parentCode: p.sanmenxia, name: '义马市' },
  { code: p.lingbao, level: 'county', parentCode: p.sanmenxia, name: '灵宝市' },

  { code: p.lingbaoChengguan, level: 'township', parentCode: p.lingbao, name: '城关镇' },
  { code: p.sucun, level: 'township', parentCode: p.lingbao, name: '苏村乡' },
  { code: p.sucunCommunity, level: 'village', parentCode: p.sucun, name: '苏村社区' },
  { code: p.sunjiagou, level: 'village', parentCode: p.sucun, name: '孙家沟村' },
  { code: p.dongzhai, level: 'village', parentCode: p.sucun, name: '东寨村' },
  { code: p.xipo, level: 'village', parentCode: p.sucun, name: '西坡村' },
  { code: p.chuankou, level: 'township', parentCode: p.lingbao, name: '川口乡' },
  { code: p.chuankouVillage, level: 'village', parentCode: p.chuankou, name: '川口村' },

  { code: p.hongyang, level: 'township', parentCode: p.mianchi, name: '洪阳镇' },
  { code: p.hongyangVillage, level: 'village', parentCode: p.hongyang, name: '洪阳村' },
  { code: p.gaozhuang, level: 'village', parentCode: p.hongyang, name: '高庄村' },
  { code: p.zhangcun, level: 'township', parentCode: p.mianchi, name: '张村镇' },
  { code: p.zhangcunCommunity, level: 'village', parentCode: p.zhangcun, name: '张村社区' },
  { code: p.zhangcunVillage, level: 'village', parentCode: p.zhangcun, name: '张村' },

  { code: p.gongqian, level: 'township', parentCode: p.shanzhou, name: '宫前乡' },
  { code: p.mingshan, level: 'village', parentCode: p.gongqian, name: '明山村' },

  { code: p.zhuyangguan, level: 'township', parentCode: p.lushi, name: '朱阳关镇' },
  { code: p.zhuyangguanVillage, level: 'village', parentCode: p.zhuyangguan, name: '朱阳关村' },
];
